"""The Textual app: screens over the core series model. Only this package imports Textual."""
