"""Track points or propagate a mask in the browser: a web page on localhost.

    python tools/web_demo.py [--checkpoint CKPT] [--port 7860] [--short-side 256]

Open the address it prints. Needs Gradio (``pip install "fgvc[web]"``).
"""

from fgvc.cli.web import main

if __name__ == '__main__':
    main()
