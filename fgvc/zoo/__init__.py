"""Adding a trained encoder to a model zoo: its weights and manifest entry
(:mod:`.publish`) and the summary of its training logs (:mod:`.training_log`).
The zoo itself (its manifest, reading its models) is :mod:`fgvc.models.zoo`."""
