"""A conformance kit that plays Vercel against any Marketplace partner server.

`partner-api check BASE_URL` serves its own signing keys (a JWKS) and a fake Vercel REST
API, prints the settings the server under test must use, then calls the server the way
Vercel does — and the ways an attacker or a confused client would — and reports what the
server got wrong. It talks to the server over HTTP only, so the server may be written in
any language.
"""
