"""The web demo's page (Gradio): it only wires the page to :class:`~fgvc.web.session.WebDemo`.

Upload a video or generate a sample clip, click points on its first frame
(or upload a first-frame mask), choose the matcher and adaptation steps,
then track: the page plays the drawn H.264 video and offers the CSV and NPZ
(or the masks) for download. Progress of adaptation, tracking and drawing
shows in the page. API endpoints (for ``gradio_client``): ``/first_frame``,
``/sample``, ``/track`` (video, mode ``points`` or ``mask``, points
``"t,x,y;..."``, mask PNG or None, matcher, adaptation steps).
"""

from typing import List, Optional, Tuple

import gradio as gr
import numpy as np

from .session import (
    MATCHERS,
    SAMPLE_PRESETS,
    WebDemo,
    add_click,
    display_scale,
    first_frame,
    frame_view,
)

#: Errors that are the input's fault: shown in the page as one line.
USER_ERRORS = (FileNotFoundError, FileExistsError, ValueError, KeyError, IndexError)
#: What Track does: (label, value).
MODES = (('Track the points', 'points'), ('Propagate the mask', 'mask'))
INTRO = """# FGVC: track points or propagate a mask through a video
1. Upload a video, or generate a sample clip.
2. Click points on its first frame, or upload a first-frame mask PNG (object ids, or grey
   0/255; a sample comes with one) and choose to propagate it.
3. Choose the matcher and the adaptation steps, then **Track**.

Weights: {weights}."""


def _frame_with_points(video: Optional[str], points: str) -> Optional[np.ndarray]:
    if not video:
        return None
    try:
        return frame_view(first_frame(video), points)
    except USER_ERRORS as err:
        raise gr.Error(str(err)) from None


class _Handlers:
    """What the page's events call, for ``demo``."""

    def __init__(self, demo: WebDemo):
        self.demo = demo

    def load_video(self, video: Optional[str]) -> Tuple[Optional[np.ndarray], str]:
        return _frame_with_points(video, ''), ''

    def click(self, video: Optional[str], points: str, evt: gr.SelectData):
        if not video:
            raise gr.Error('Upload a video or generate a sample first')
        try:
            frame0 = first_frame(video)
            points = add_click(points, *evt.index, display_scale(*frame0.shape[:2]))
            return frame_view(frame0, points), points, MODES[0][1]
        except USER_ERRORS as err:
            raise gr.Error(str(err)) from None

    def make_sample(self, preset: str, seed: float) -> Tuple[str, str]:
        try:
            return self.demo.sample(preset, int(seed))
        except USER_ERRORS as err:
            raise gr.Error(str(err)) from None

    def track(
        self,
        video: Optional[str],
        mode: str,
        points: str,
        mask: Optional[str],
        matcher: str,
        adapt_steps: Optional[float],
        progress=gr.Progress(),  # noqa: B008 (Gradio finds its progress tracker by this default)
    ) -> Tuple[str, List[str], str]:
        if not video:
            raise gr.Error('Upload a video or generate a sample first')

        def report(stage: str, done: int, total: int) -> None:
            progress((done, total), desc=stage)

        steps = None if adapt_steps is None else int(adapt_steps)  # empty: the config's default
        try:
            if mode == MODES[1][1]:
                if not mask:
                    raise ValueError('No mask: upload a first-frame mask PNG, or track points')
                result = self.demo.propagate(video, mask, matcher, steps, report)
            else:
                result = self.demo.track(video, points or '', matcher, steps, report)
        except USER_ERRORS as err:
            raise gr.Error(str(err)) from None
        return result.video, result.files, result.summary


def build_app(demo: WebDemo) -> gr.Blocks:
    """The page, wired to ``demo``."""
    handlers = _Handlers(demo)
    load_video, click, make_sample, track = (
        handlers.load_video,
        handlers.click,
        handlers.make_sample,
        handlers.track,
    )

    with gr.Blocks(title='FGVC web demo', analytics_enabled=False) as page:
        gr.Markdown(INTRO.format(weights=demo.weights))
        with gr.Row():
            with gr.Column():
                video = gr.Video(label='Video', sources=['upload'], include_audio=True)
                with gr.Row():
                    preset = gr.Dropdown(
                        list(SAMPLE_PRESETS), value=SAMPLE_PRESETS[0], label='Sample'
                    )
                    seed = gr.Number(0, precision=0, label='Seed')
                    sample_button = gr.Button('Generate a sample clip')
                frame = gr.Image(
                    label='First frame: click to add points',
                    interactive=False,
                    format='png',
                )
                points = gr.Textbox(
                    label='Points (t,x,y;... in pixels; clicks add to it)',
                    placeholder='0,120.5,80.5;0,40.5,60.5',
                )
                clear = gr.Button('Clear points')
                mask = gr.File(
                    label='First-frame mask (PNG): propagate it instead of tracking points',
                    file_types=['.png'],
                )
                with gr.Row():
                    matcher = gr.Dropdown(list(MATCHERS), value=MATCHERS[0], label='Matcher')
                    adapt = gr.Number(
                        None,
                        precision=0,
                        minimum=0,
                        label="Adaptation steps (empty: the config's default for masks or points)",
                    )
                mode = gr.Radio(list(MODES), value=MODES[0][1], label='Track')
                run = gr.Button('Track', variant='primary')
            with gr.Column():
                result_video = gr.Video(label='Result', interactive=False)
                files = gr.File(label='Downloads', file_count='multiple', interactive=False)
                summary = gr.Markdown()

        video.change(load_video, video, [frame, points], api_name='first_frame')
        frame.select(click, [video, points], [frame, points, mode], api_visibility='private')
        mask.upload(lambda: MODES[1][1], None, mode, api_visibility='private')
        points.submit(_frame_with_points, [video, points], frame, api_visibility='private')
        clear.click(load_video, video, [frame, points], api_visibility='private')
        sample_button.click(make_sample, [preset, seed], [video, mask], api_name='sample')
        run.click(
            track,
            [video, mode, points, mask, matcher, adapt],
            [result_video, files, summary],
            api_name='track',
            concurrency_limit=1,
        )
    return page


def launch(demo: WebDemo, host: str = '127.0.0.1', port: Optional[int] = None, **kwargs):
    """Serve the page on ``host:port`` (a free port from 7860 when None);
    ``kwargs`` go to ``gr.Blocks.launch`` (e.g. ``prevent_thread_lock``)."""
    page = build_app(demo)
    page.queue()
    page.launch(server_name=host, server_port=port, allowed_paths=[demo.work_dir], **kwargs)
    return page
