"""Export the encoder to ONNX or TorchScript (the ``fgvc-export``
command once installed; the code is fgvc/cli/export.py)."""

from fgvc.cli.export import main

if __name__ == '__main__':
    main()
