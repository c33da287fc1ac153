"""Licence-plate recognition: find plates in lane cameras' frames and read them."""
