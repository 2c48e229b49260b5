"""`archspec export --to pytorch`: the code it writes, read as text (torch is
not needed; tools/check_bridges.py builds every spec with torch)."""

from __future__ import annotations

import ast
from pathlib import Path

from archspec import load, loads
from archspec.bridges.pytorch_export import expected_output, export_pytorch

ROOT = Path(__file__).resolve().parent.parent


def classes(code: str) -> list[str]:
    return [n.name for n in ast.parse(code).body if isinstance(n, ast.ClassDef)]


def test_resnet50_is_one_class_per_block_with_the_specs_names() -> None:
    code = export_pytorch(load(ROOT / "specs" / "resnet50.arch"))
    assert classes(code) == ["Chain", "Permute", "BottleneckBranch", "Projection", "Bottleneck", "Resnet50"]
    assert "self.skip = Projection(in_channels, out, stride=stride) if project else nn.Identity()" in code
    assert "bottleneck1=Bottleneck(64, 64, 256, project=True)," in code
    assert "self.conv2 = nn.Conv2d(width, width, 3, stride=stride, padding=1, bias=False)" in code
    assert "self.classifier = Chain(" in code and "fc=nn.Linear(2048, 1000)," in code


def test_uneven_padding_and_ceil_pooling() -> None:
    code = export_pytorch(load(ROOT / "specs" / "resnet-50.arch"))
    assert "nn.ConstantPad2d((0, 1, 0, 1), -float('inf'))" in code  # Caffe's ceil pooling as MatConvNet pads it


def test_channels_last_layers_get_permutes() -> None:
    code = export_pytorch(loads("""
model block
input 8 x 6 x 6
x = conv(8, 7, pad=3, groups=8)
y = layernorm(eps=1e-6) > linear(32) > gelu > linear(8)
add(y, x)
""", "block.arch"))
    assert ".permute(0, 2, 3, 1)" in code and ".permute(0, 3, 1, 2)" in code
    assert "nn.LayerNorm(8, eps=1e-06)" in code and "nn.Linear(8, 32)" in code


def test_runs_whose_rate_grows_are_one_sequential() -> None:
    # EfficientNet-B0's stochastic depth: block k of 16 drops with 0.2·k/16; the sixth stage's
    # last three blocks are k = 12, 13, 14 (1 + 2 + 2 + 3 + 3 blocks before it, its first
    # block being 11): 0.15, 0.1625, 0.175 (as floats)
    code = export_pytorch(load(ROOT / "specs" / "modern" / "efficientnet_b0.arch"))
    assert "(0.15000000000000002, 0.1625, 0.17500000000000002))" in code
    assert " for p in ps))" in code and "with_mbconv" not in code


def test_calls_of_other_widths_stay_calls_of_their_own() -> None:
    # GoogLeNet's inception modules 4b-4d differ in widths, not in a rate: three calls
    code = export_pytorch(load(ROOT / "specs" / "modern" / "googlenet.arch"))
    assert "self.inception4b = Inception(512, 160, 112, 224, 24, 64)" in code
    assert "zip(" not in code


def test_a_lone_call_joins_the_runs_of_other_calls() -> None:
    # torchvision's VGG-11: stages of 1, 1, 2, 2, 2 convolutions; the last stage's two are
    # alike (512 -> 512 twice), the third's and fourth's are not (128 -> 256 -> 256)
    code = export_pytorch(load(ROOT / "specs" / "modern" / "vgg11.arch"))
    assert "vgg_stage5=VggStage(512, 512, n=2)," in code
    assert "self.vgg_convs = nn.Sequential(*(VggConv(in_channels, width) for _ in range(n)))" in code
    assert "range(1)" not in code


def test_blocks_whose_layers_differ_get_a_class_each() -> None:
    code = export_pytorch(loads("""
model two
input 3 x 8 x 8
block unit(deep) {
    deep ? conv(4, 3, pad=1) > relu : conv(4, 1) > sigmoid
}
a = unit(true)
b = unit(false)
""", "two.arch"))
    assert "class Unit(nn.Module)" in code and "class UnitVariant2(nn.Module)" in code


def test_expected_output_is_in_the_exported_form() -> None:
    graph = load(ROOT / "specs" / "resnet50.arch")
    assert expected_output(graph) == (1000,)  # a vector after the flatten
    assert expected_output(load(ROOT / "specs" / "pascal-fcn8s.arch"))[0] == 21  # an image


# ---- token sequences and attention -------------------------------------------------------

def helpers_and_classes(code: str) -> set[str]:
    return set(classes(code))


def test_helpers_for_tokens_are_written_only_when_used() -> None:
    code = export_pytorch(load(ROOT / "specs" / "resnet50.arch"))
    assert not helpers_and_classes(code) & {"Attention", "ClassToken", "PositionEmbedding", "Windows", "Unwindow",
                                            "PatchMerge", "TokenEmbedding", "SinusoidalPositions"}
    assert "import math" not in code


def test_vit_b_16_reads_as_torchvision_builds_it() -> None:
    code = export_pytorch(load(ROOT / "specs" / "transformers" / "vit_b_16.arch"))
    assert classes(code) == ["Chain", "ClassToken", "PositionEmbedding", "Attention", "EncoderLayer",
                             "VisionTransformer", "VitB16"]
    assert "self.conv_proj = nn.Conv2d(3, 768, 16, stride=16)" in code
    # the image's 16x16 patches as tokens: (N, 768, 14, 14) -> (N, 196, 768)
    assert "x = x.flatten(2).transpose(1, 2)" in code
    assert "ClassToken(768)" in code
    # one learnt row per token at 224 x 224: (224 / 16)² = 196 patches + the class token = 197,
    # and only that length, as torchvision's broadcast add
    assert "PositionEmbedding(197, 768, exact=True)" in code
    # 768 dimensions in 12 heads of 64: no head_dim to say; nn.MultiheadAttention's fused kernel
    assert "self.self_attention = Attention(768, 12, flash=True)" in code
    assert "nn.Sequential(*(EncoderLayer() for _ in range(12)))" in code
    assert "nn.LayerNorm(768, eps=1e-06)" in code and "linear1=nn.Linear(768, 3072)," in code
    assert "x = x[:, 0]" in code  # the class token's final state, classified
    compile(code, "vit_b_16.py", "exec")


def test_swin_t_keeps_its_maps_channels_last_and_its_windows_explicit() -> None:
    code = export_pytorch(load(ROOT / "specs" / "transformers" / "swin_t.arch"))
    assert {"Windows", "Unwindow", "PatchMerge", "Attention", "SwinBlock", "Stage", "PatchMerging"} <= set(
        classes(code))
    # a stage's blocks alternate windows unshifted and shifted by half the 7-token window
    # (7 // 2 = 3); stochastic depth grows block by block: a run whose shift and rate change
    assert ("self.swin_blocks = nn.Sequential(*(SwinBlock(in_channels, shift, heads, sd) "
            "for shift, sd in zip(shifts, sds)))") in code
    assert "window=Windows(7, shift=shift)," in code
    # a 7 x 7 relative position bias table per layer, (2·7 − 1)² rows; the shifted
    # windows' scores masked between the regions the roll brought together
    assert "attention=Attention(in_channels, heads, window=7, shift=shift)," in code
    assert "def shift_mask(self, rows: int, columns: int) -> torch.Tensor:" in code
    assert "self.attn_unwindow = Unwindow(shift=shift)" in code
    # patch merging: 4C after the 2 x 2 rearrangement, a linear to 2C without bias
    assert "self.patchmerge = PatchMerge()" in code
    assert "self.linear = nn.Linear(4 * in_channels, 2 * in_channels, bias=False)" in code
    # stage widths 96, 192, 384, 768 with 3, 6, 12, 24 heads of 32 and depths 2, 2, 6, 2: one
    # class; the drop rate of block k of 12 is 0.2·k/11 (k = 0, 1 in the first stage)
    assert "self.features_1 = Stage(96, 3, (0.0, 0.018181818181818184))" in code
    assert "self.features_5 = Stage(384, 12, (0.07272727272727274, " in code and "StageVariant2" not in code
    assert "shifts=(0, 3, 0, 3, 0, 3))" in code  # six blocks in the third stage; (0, 3) the default
    # channels last from the patch embedding's layer norm to the head's pooling: two permutes in all
    network = code.split("class SwinBlock", 1)[1]
    assert network.count(".permute(0, 2, 3, 1)") == 1 and network.count(".permute(0, 3, 1, 2)") == 1
    assert "return self.head(x.permute(0, 3, 1, 2))" in network
    compile(code, "swin_t.py", "exec")


def test_swin_v2_uses_the_continuous_position_bias() -> None:
    code = export_pytorch(load(ROOT / "specs" / "transformers" / "swin_v2_t.arch"))
    # V2: 8 x 8 windows, cosine attention, the bias from an MLP of 512 hidden units
    assert "attention=Attention(in_channels, heads, window=8, continuous_bias=512, shift=shift)," in code
    assert "self.cpb_mlp = nn.Sequential(nn.Linear(2, continuous_bias)" in code


def test_gpt2_ties_its_head_to_the_token_table() -> None:
    code = export_pytorch(load(ROOT / "specs" / "transformers" / "gpt2.arch"))
    assert "self.wte = TokenEmbedding(50257, 768)" in code
    assert "self.wpe = PositionEmbedding(1024, 768)" in code  # the context's 1024 rows, any shorter sequence
    # transformers' attn_pdrop = 0.1 on the probabilities (in training)
    assert "self.attn = Attention(768, 12, causal=True, flash=True, dropout=0.1)" in code
    assert "nn.Sequential(*(Gpt2Block() for _ in range(12)))" in code
    assert "self.lm_head = nn.Linear(768, 50257, bias=False)" in code
    # shares=wte: one Parameter, which model.parameters() yields once
    assert "self.lm_head.weight = self.wte.weight  # shares=wte: one tensor" in code
    tie = code.index("self.lm_head.weight = self.wte.weight")
    assert code.index("self.wte = TokenEmbedding") < tie and code.index("self.lm_head = nn.Linear") < tie
    assert "def forward(self, ids: torch.Tensor) -> torch.Tensor:" in code
    assert "print(model(torch.zeros(1, 1024, 1)).shape)" in code
    compile(code, "gpt2.py", "exec")


def test_grouped_query_attention_with_separate_projections() -> None:
    code = export_pytorch(load(ROOT / "specs" / "transformers" / "conv_attention_hybrid.arch"))
    assert ("self.attn = Attention(256, 8, kv_heads=2, fused=False, qkv_bias=False, out_bias=False, "
            "flash=True)") in code
    assert "SinusoidalPositions()" in code and "import math" in code
    assert ".transpose(1, 2).unflatten(2, " in code and ".shape[-2:])" in code  # tokens back onto the stem's grid


def test_maxvit_grid_partition_is_undone_as_a_grid() -> None:
    code = export_pytorch(load(ROOT / "specs" / "transformers" / "maxvit_t.arch"))
    # MaxViT's maps are channels first (its MBConv's convolutions): windows cut from and
    # restored to that form, so no permute between the layers
    assert "self.tokens = Windows(7, grid=grid, pad=False, channels_last=False)" in code
    assert "self.unwindow = Unwindow(grid=grid, channels_last=False)" in code
    assert "PartitionAttention(False, out, heads, p)" in code and "PartitionAttention(True, out, heads, p)" in code
    assert ".permute(" not in code.split("class Mbconv", 1)[1]
    # the later layers of a block: a run whose drop rate grows 0.02 per layer (0.2 / (11 - 1))
    assert "self.blocks_2 = MaxvitBlockVariant2(128, 256, 8, 0.08, (0.1, 0.12, 0.14, 0.16))" in code
    assert "shift=" not in code.split("class Attention", 1)[1].split("class Mbconv", 1)[1]  # MaxViT rolls nothing


def test_the_other_token_kinds_and_cross_attention() -> None:
    code = export_pytorch(loads("""
model mixer
input 3 x 32 x 32
img = conv(16, 8, stride=8) > to_tokens
mem = in > conv(24, 16, stride=16) > to_tokens
more = in > conv(16, 16, stride=16) > to_tokens
both = concat_tokens(img, more)
q = img > classtoken(2)
x = attention(q, mem, heads=4, head_dim=8, fused=false)
m = x > tokenmean
p = both > pick(1)
""", "mixer.arch"))
    assert "torch.cat([img_to_tokens, more_to_tokens], -2)" in code
    assert "ClassToken(16, count=2)" in code
    # queries of 16 dimensions, keys and values from 24: 4 heads of 8 (4·8 = 32, not 16)
    assert "Attention(16, 4, head_dim=8, kv_dim=24, fused=False)" in code
    assert ".mean(1)" in code and "[:, 1]" in code
    compile(code, "mixer.py", "exec")
