"""What a tracking run leaves on disk, for the demo (``fgvc.cli.demo``) and the
web demo (``fgvc.web``): the output folders and their files (:mod:`.files`:
tracks, masks, drawn videos, the manifest of a completed folder) and runs
over many videos (:mod:`.batch`)."""
