"""Documents: issuing them in their registers, downloads, the registers, and the public
verification of a printed code."""
