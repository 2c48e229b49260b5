"""Bridges to the ecosystem: a spec exported as an ONNX graph or as PyTorch
code, and an ONNX graph imported as a spec.

They are views of the pipeline, not part of it: they read the layer graph
(and write spec text that the normal loader checks), and nothing below them
imports them.  `onnx` is an optional dependency (`pip install 'archspec[onnx]'`);
PyTorch is never imported -- the PyTorch bridge writes code as text.
"""
