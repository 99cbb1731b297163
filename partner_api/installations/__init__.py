"""Installations: one Vercel team's installation of the integration (§3.4.1–3.4.4)."""
