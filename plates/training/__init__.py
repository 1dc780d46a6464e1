"""Fine-tuning the plate reader (optional extra `train`: torch); the engine never imports this."""
