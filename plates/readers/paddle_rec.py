"""PaddleOCR PP-OCRv4 text recognizer (the model files PaddleOCR uses) run with paddle.inference, so the
per-step CTC probabilities stay available for beam search and format correction.

paddleocr.TextRecognition runs the same files and gives the same greedy text (tested), but returns only the
final string and a score; format correction needs the probability matrix."""

from __future__ import annotations

import os
import signal
import threading
import warnings
from pathlib import Path

import numpy as np

from ..ctc import Alphabet, CtcReader
from .onnx_rec import INPUT_HEIGHT, preprocess

os.environ.setdefault("KMP_BLOCKTIME", "0")  # Paddle's OpenMP threads must not spin against onnxruntime
os.environ.setdefault("FLAGS_logtostderr", "0")

warnings.filterwarnings("ignore", message="No ccache found")  # paddle warns at import; we compile nothing

try:
    import paddle
    import paddle.inference as paddle_inference
except ImportError as exc:  # pragma: no cover
    raise ImportError("The PaddleOCR reader needs paddlepaddle: pip install paddlepaddle") from exc

MAX_WIDTH = 320
SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGINT", "SIGQUIT", "SIGHUP") if hasattr(signal, name)
)


def release_signals() -> None:
    """Paddle installs C-level handlers for SIGTERM/SIGINT/... that print a FatalError and abort, turning a
    worker's warm shutdown into a crash. Remove them, and give the process its own Python handlers back
    (Python can only re-install those from the main thread; elsewhere the defaults apply)."""
    paddle.disable_signal_handler()
    if threading.current_thread() is threading.main_thread():
        for sig in SIGNALS:
            handler = signal.getsignal(sig)
            if handler is not None:
                signal.signal(sig, handler)


class PaddleRecReader(CtcReader):
    name = "ppocrv4-rec"

    def __init__(self, model_dir: str | Path, *, threads: int = 1, beam_width: int = 8):
        model_dir = Path(model_dir)
        config = paddle_inference.Config(
            str(model_dir / "inference.pdmodel"), str(model_dir / "inference.pdiparams")
        )
        config.disable_gpu()
        config.set_cpu_math_library_num_threads(threads)
        config.switch_ir_optim(True)
        config.enable_memory_optim()
        config.disable_glog_info()
        self.predictor = paddle_inference.create_predictor(config)
        release_signals()
        self.input = self.predictor.get_input_handle(self.predictor.get_input_names()[0])
        self.output_name = self.predictor.get_output_names()[0]
        characters = (model_dir / "ppocr_keys_v1.txt").read_text(encoding="utf-8").splitlines()
        self.alphabet = Alphabet.from_dictionary(characters)
        self.beam_width = beam_width

    def probabilities(self, crops: list[np.ndarray]) -> np.ndarray:
        """(N, T, 6625) softmax of the recognizer for a batch of RGB crops."""
        batch = preprocess(crops, INPUT_HEIGHT * 4, MAX_WIDTH)
        self.input.reshape(batch.shape)
        self.input.copy_from_cpu(batch)
        self.predictor.run()
        return self.predictor.get_output_handle(self.output_name).copy_to_cpu()
