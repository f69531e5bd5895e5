"""Bank app, QR or card payment through a payOS payment link."""
