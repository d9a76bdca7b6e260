#!/usr/bin/env python3
"""Peer for `loom-bench train`: LoomNet's heads trained one step at a time in PyTorch (CPU).

usage: torch_train_step.py REPEATS
The same shapes as Loom's bench: 256 triplets per step over 384 distinct items (64 anchor/positive
pairs, 4 negatives each) or 768 (every item distinct); cached 1280-float visual features and
24-token titles; visual.proj 1280→256, embedding 30522×128, 2-layer LSTM 128→256 (last step),
text.proj 256→256, fusion 512→512 ReLU →256, L2 normalisation, dropout 0.5, the cosine triplet
loss with margin 0.2 (every weight 1, as in Loom's bench: the weighted mean is the mean), gradient
norm clipped at 5, Adam lr 1e-3 (PyTorch's dense default: the whole embedding table's moments are
updated each step).
Prints one JSON object: torch version, the CPU capability it uses, and per shape the triplets/s
at 1 and 2 threads (median of REPEATS steps after one warm-up step).
"""
import json
import statistics
import sys
import time

import torch
from torch import nn
import torch.nn.functional as F


class Heads(nn.Module):
    def __init__(self):
        super().__init__()
        self.visual_proj = nn.Linear(1280, 256)
        self.embedding = nn.Embedding(30522, 128, padding_idx=0)
        self.lstm = nn.LSTM(128, 256, num_layers=2, batch_first=True)
        self.text_proj = nn.Linear(256, 256)
        self.fusion0 = nn.Linear(512, 512)
        self.fusion2 = nn.Linear(512, 256)
        self.dropout = nn.Dropout(0.5)

    def forward(self, visual, tokens):
        v = self.visual_proj(self.dropout(visual))
        out, _ = self.lstm(self.embedding(tokens))
        t = self.text_proj(self.dropout(out[:, -1, :]))
        fused = self.dropout(torch.cat([v, t], dim=1))
        return F.normalize(self.fusion2(F.relu(self.fusion0(fused))), dim=1)


def rate(negatives, threads, repeats):
    torch.manual_seed(11)
    torch.set_num_threads(threads)
    rows = 256 // negatives
    count = 2 * rows + 256
    visual = torch.clamp(torch.rand(count, 1280) * 4 - 2, min=0)
    tokens = torch.randint(1000, 29000, (count, 24))
    tokens[:, 0], tokens[:, -1] = 101, 102
    anchor = torch.arange(rows).repeat_interleave(negatives)
    positive = anchor + rows
    negative = torch.arange(256) + 2 * rows
    model = Heads()
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step():
        optimiser.zero_grad()
        e = model(visual, tokens)
        hinge = 0.2 - (e[anchor] * e[positive]).sum(1) + (e[anchor] * e[negative]).sum(1)
        loss = torch.clamp(hinge, min=0).mean()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimiser.step()

    step()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return 256 / statistics.median(times)


def main():
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    result = {"version": torch.__version__, "capability": torch.backends.cpu.get_cpu_capability(), "shapes": {}}
    for items, negatives in ((384, 4), (768, 1)):
        result["shapes"][str(items)] = [rate(negatives, 1, repeats), rate(negatives, 2, repeats)]
    print(json.dumps(result))


if __name__ == "__main__":
    main()
