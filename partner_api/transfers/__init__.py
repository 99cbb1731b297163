"""Resource transfer requests ("claims", §3.4.15–3.4.17): a source installation offers some of
its resources, candidate targets verify the offer, and the first target to accept gets them.
"""
