"""API for label classes and labels (single and bulk labeling, history)."""
