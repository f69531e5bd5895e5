"""Card or e-wallet payment through the VNPAY gateway (the "thanh toán PAY" redirect)."""
