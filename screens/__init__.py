"""The Textual terminal app: one module per screen, widgets and styles."""
