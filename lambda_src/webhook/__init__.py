"""Payment webhook receiver: small, single-purpose modules behind ``handler.handler``."""
