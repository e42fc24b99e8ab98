"""The live 2-D GAN trainer ("GAN Lab"): state (state.py), drawing (canvas.py) and widget (ui.py).

One public entry point, gan_lab(target, loss, ...) (also gh.widgets.gan_lab), returns a LabWidget;
GANLab alone trains and describes frames without a browser (tests drive it so).
"""
from .canvas import LabArtists, LabCanvas, draw_frame, update_frame
from .state import LAB_LIMITS, LAB_LOSSES, LAB_N_CRITIC, LAB_TARGETS, Frame, GANLab, is_critic, lab_target
from .ui import LabWidget, gan_lab, lab_status

__all__ = ["LAB_LIMITS", "LAB_LOSSES", "LAB_N_CRITIC", "LAB_TARGETS", "Frame", "GANLab", "LabArtists",
           "LabCanvas", "LabWidget", "draw_frame", "gan_lab", "is_critic", "lab_status", "lab_target",
           "update_frame"]
