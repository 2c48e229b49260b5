"""Every limit that keeps archspec responsive on hostile input, in one place.
Each error that enforces one names it."""

# reading
MAX_FILE_BYTES = 2_000_000  # a spec file; no real network needs more text
MAX_TOKENS = 250_000  # words, numbers and symbols of one file: 185x the zoo's largest (1,342), and room
#                       for a flat spec of 100,000 layers written one a line (2 tokens each); parsing
#                       costs about 10 microseconds a token, so a file ends within a few seconds
MAX_IMPORT_DEPTH = 32  # files importing files
MAX_NESTING = 64  # parentheses, prefix operators in a row, conditionals in else-branches

# expanding
MAX_LAYERS = 1_000_000  # no network anyone runs is larger
MAX_CALL_DEPTH = 100  # nested block calls
MAX_INT = 10**9  # a larger number in a layer's arguments, or a tensor's channel count, is never a real network
MAX_ARITHMETIC = 10**30  # a larger intermediate value in a spec's arithmetic is a runaway

# analysing
MAX_SIDE = 1 << 20  # an input side beyond a million pixels is a typo, not an image
MAX_STRIDE = 4096  # total stride beyond which per-residue cost models get too large to be useful
MAX_POINTS = 1_000_000  # rows of one sweep
MAX_BATCH = 1 << 30  # the largest batch the batch fit (training's `fit`) looks for

# importing other formats
MAX_ONNX_BYTES = 512 * 1024 * 1024  # an ONNX file read whole: a graph with its weights inside (ResNet-50's is 100 MB)
