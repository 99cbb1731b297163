"""Resources: what customers provision from a product, with secrets, rotation and REPL."""
