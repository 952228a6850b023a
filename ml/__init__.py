"""Machine-learning and image code; never imports Django."""
