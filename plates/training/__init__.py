"""Fine-tuning the plate reader (optional extra `train`: torch, onnx); the engine never imports this."""
