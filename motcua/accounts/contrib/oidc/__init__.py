"""OpenID Connect sign-in for citizens (authorization code + PKCE), ready for VNeID."""
