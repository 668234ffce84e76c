"""Qt item models: plain data in, no widgets; tested without any view."""
