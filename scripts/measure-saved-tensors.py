#!/usr/bin/env python3
"""Bytes that PyTorch autograd saves for backward in one Llama-style decoder block, on a CPU.

Writes test/fixtures/saved-tensors.json, the measured fixture behind test/eager-memory.test.ts.
The block is written as Hugging Face Transformers writes Llama (modeling_llama.py): a hand-written
RMSNorm (upcast to fp32, pow, mean, rsqrt, multiply, cast back, times weight), an eager SwiGLU MLP
down(silu(gate(x)) * up(x)), and either the eager attention (repeat_kv copies of K and V, softmax in
fp32 then cast to the input dtype) or a fused-attention stand-in that saves only what FlashAttention
keeps (the output and an fp32 log-sum-exp per row; Dao 2023 Alg. 1).

Counting: torch.autograd.graph.saved_tensors_hooks sees every tensor saved for backward; storages are
de-duplicated by data pointer, and the block's parameters are left out (they are weights, not
activations). RoPE's cos/sin tables and the causal mask are constants shared by every layer of a
model; they are reported apart and left out of the per-layer figure.

Run: python3 scripts/measure-saved-tensors.py   (Debian python3-torch 1.13, CPU, bf16; a few seconds)
"""
import json
import math
import os
import sys

import torch
import torch.nn.functional as F

torch.manual_seed(0)
VERBOSE = '--verbose' in sys.argv
DTYPE = torch.bfloat16


def rms_norm(x, weight, eps=1e-5):
    # LlamaRMSNorm.forward
    input_dtype = x.dtype
    hs = x.to(torch.float32)
    variance = hs.pow(2).mean(-1, keepdim=True)
    hs = hs * torch.rsqrt(variance + eps)
    return weight * hs.to(input_dtype)


def rotate_half(x):
    x1 = x[..., : x.shape[-1] // 2]
    x2 = x[..., x.shape[-1] // 2 :]
    return torch.cat((-x2, x1), dim=-1)


def repeat_kv(x, n_rep):
    b, kv, s, d = x.shape
    if n_rep == 1:
        return x
    return x[:, :, None, :, :].expand(b, kv, n_rep, s, d).reshape(b, kv * n_rep, s, d)


class FusedAttentionStandIn(torch.autograd.Function):
    """Saves what FlashAttention-2 saves: q, k, v (already saved by the surrounding ops), the output, and
    an fp32 log-sum-exp per query row; computes attention without keeping the scores."""

    @staticmethod
    def forward(ctx, q, k, v, causal_mask):
        with torch.no_grad():
            n_rep = q.shape[1] // k.shape[1]
            kf, vf = repeat_kv(k, n_rep).float(), repeat_kv(v, n_rep).float()
            scores = (q.float() @ kf.transpose(2, 3)) / math.sqrt(q.shape[-1]) + causal_mask
            lse = torch.logsumexp(scores, dim=-1)
            out = (torch.softmax(scores, dim=-1) @ vf).to(q.dtype)
        # FlashAttention returns the output as (batch, seq, heads, dim), so the output projection's input is
        # a view of the saved output, not a copy
        out = out.transpose(1, 2).contiguous()
        ctx.save_for_backward(q, k, v, out, lse)
        return out.transpose(1, 2)

    @staticmethod
    def backward(ctx, grad):  # not run: the measurement is of the forward's saved tensors
        raise NotImplementedError


def block(x, p, cfg, attention):
    b, s, h = x.shape
    a, kv, dh = cfg["heads"], cfg["kv_heads"], cfg["head_dim"]
    residual = x
    hs = rms_norm(x, p["ln1"])
    q = F.linear(hs, p["wq"]).view(b, s, a, dh).transpose(1, 2)
    k = F.linear(hs, p["wk"]).view(b, s, kv, dh).transpose(1, 2)
    v = F.linear(hs, p["wv"]).view(b, s, kv, dh).transpose(1, 2)
    cos, sin = p["cos"], p["sin"]
    q = q * cos + rotate_half(q) * sin
    k = k * cos + rotate_half(k) * sin
    if attention == "eager":
        # eager_attention_forward (modeling_llama.py)
        k_rep = repeat_kv(k, a // kv)
        v_rep = repeat_kv(v, a // kv)
        w = torch.matmul(q, k_rep.transpose(2, 3)) * (dh**-0.5)
        w = w + p["mask"]
        w = F.softmax(w, dim=-1, dtype=torch.float32).to(q.dtype)
        w = F.dropout(w, p=0.0, training=True)
        o = torch.matmul(w, v_rep)
    else:
        # FlashAttention-2 takes GQA's K and V as they are (no repeat_kv copies)
        o = FusedAttentionStandIn.apply(q, k, v, p["mask"])
    o = o.transpose(1, 2).reshape(b, s, a * dh)
    x = residual + F.linear(o, p["wo"])
    residual = x
    hs = rms_norm(x, p["ln2"])
    # LlamaMLP: down_proj(act_fn(gate_proj(x)) * up_proj(x))
    y = F.linear(F.silu(F.linear(hs, p["w_gate"])) * F.linear(hs, p["w_up"]), p["w_down"])
    return residual + y


def measure(cfg, attention):
    b, s, h, f = cfg["batch"], cfg["seq"], cfg["hidden"], cfg["ffn"]
    a, kv, dh = cfg["heads"], cfg["kv_heads"], cfg["head_dim"]
    lin = lambda o, i: (torch.randn(o, i, dtype=DTYPE) * 0.02).requires_grad_()
    p = {
        "ln1": torch.ones(h, dtype=DTYPE, requires_grad=True),
        "ln2": torch.ones(h, dtype=DTYPE, requires_grad=True),
        "wq": lin(a * dh, h), "wk": lin(kv * dh, h), "wv": lin(kv * dh, h), "wo": lin(h, a * dh),
        "w_gate": lin(f, h), "w_up": lin(f, h), "w_down": lin(h, f),
    }
    params = {t.data_ptr() for t in p.values()}
    pos = torch.arange(s, dtype=torch.float32)
    inv = 1.0 / (10000 ** (torch.arange(0, dh, 2, dtype=torch.float32) / dh))
    ang = torch.cat([pos[:, None] * inv[None, :]] * 2, dim=-1)
    p["cos"], p["sin"] = ang.cos().to(DTYPE), ang.sin().to(DTYPE)
    p["mask"] = torch.full((s, s), float("-inf")).triu(1).to(DTYPE)
    constants = {p["cos"].data_ptr(), p["sin"].data_ptr(), p["mask"].data_ptr()}

    x = torch.randn(b, s, h, dtype=DTYPE, requires_grad=True)
    storages = {}
    constant_bytes = {}

    def pack(t):
        st = t.storage() if hasattr(t, "storage") else t.untyped_storage()
        ptr = st.data_ptr()
        nbytes = st.nbytes() if callable(getattr(st, "nbytes", None)) else st.size() * t.element_size()
        if ptr in params:
            return t
        if ptr in constants:
            constant_bytes[ptr] = nbytes
            return t
        storages[ptr] = max(storages.get(ptr, 0), nbytes)
        if VERBOSE:
            print(f"    {str(tuple(t.shape)):24s} {str(t.dtype):16s} {nbytes:>9d} B  {t.grad_fn.name() if t.grad_fn else 'leaf'}")
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        block(x, p, cfg, attention)
    return {"savedBytes": sum(storages.values()), "constantBytes": sum(constant_bytes.values()), "tensors": len(storages)}


CONFIGS = [
    # small Llama-shaped blocks: GQA 4:1 and 8:1, SwiGLU with f ≈ 8h/3
    {"name": "llama-small-gqa4", "hidden": 256, "heads": 8, "kv_heads": 2, "head_dim": 32, "ffn": 688, "seq": 256, "batch": 2},
    {"name": "llama-small-gqa8", "hidden": 512, "heads": 16, "kv_heads": 2, "head_dim": 32, "ffn": 1376, "seq": 128, "batch": 2},
    {"name": "llama-small-mha", "hidden": 256, "heads": 4, "kv_heads": 4, "head_dim": 64, "ffn": 704, "seq": 512, "batch": 1},
]


def main():
    rows = []
    for cfg in CONFIGS:
        for attention in ("eager", "fused"):
            r = measure(cfg, attention)
            rows.append({**cfg, "attention": attention, **r})
            print(f"{cfg['name']:18s} {attention:6s} saved {r['savedBytes']:>10d} B in {r['tensors']} storages (+{r['constantBytes']} B RoPE/mask constants)")
    out = {
        "source": "scripts/measure-saved-tensors.py: torch.autograd.graph.saved_tensors_hooks on a Hugging Face-style Llama block, bf16, CPU",
        "torch": torch.__version__,
        "dtypeBytes": 2,
        "rows": rows,
    }
    path = os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "saved-tensors.json")
    if "--print" not in sys.argv:
        with open(path, "w") as fh:
            json.dump(out, fh, indent=2)
            fh.write("\n")
        print(f"wrote {os.path.normpath(path)}")


if __name__ == "__main__":
    main()
