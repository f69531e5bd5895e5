"""Bank transfer to the province's collection account with a VietQR (NAPAS 247) code."""
