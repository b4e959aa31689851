"""HW1 constants and seeded inputs, shared by tasks.py (in the sandbox) and checks.py (trusted).

Everything here is a pure function of the job seed, so the trusted side regenerates the inputs
it gave the student's code instead of trusting what the sandbox wrote back. Imports only torch.
"""

from __future__ import annotations

import hashlib
import itertools
import math

import torch

# ---------------------------------------------------------------- autoregressive (exact checks)
MADE_D = 10
MADE_HIDDEN = [24, 24]  # >= D - 1 units per layer: every allowed connection can exist
MADE_N_INPUTS = 32
MADE_TRAIN_STEPS = 5
MADE_LR = 1e-2
SMALL_D = 4
SMALL_HIDDEN = [8]
SMALL_WEIGHT_GAIN = 3.0
SMALL_N_SAMPLES = 16000  # a wrong sampling order gives chi-square > 100 in every order

PIXELCNN = {"channels": 8, "n_hidden": 2, "first_kernel": 5, "kernel": 3}
PIXELCNN_SIZE = 8
PIXELCNN_TRAIN_STEPS = 3
# saturated-logit tests: the last layer is scaled so that the median |logit| is this large
# (float64: sigmoid(l) rounds to exactly 1 above l = 37)
SAT_LOGIT = 40.0

# ---------------------------------------------------------------- VAE (exact checks)
VAE_D = 20
VAE_HIDDEN = [32]
VAE_LATENT = 4
VAE_BATCH = 64
IWAE_K = 5
ORDER_KS = (1, 5, 50)  # ELBO, IWAE_5, IWAE_50, on the trained VAE
ORDER_REPEATS = 2
ORDER_BATCH = 256
BIG_D = 1500  # high-dimensional case: log-weights far below -745
BIG_HIDDEN = [16]
BIG_LATENT = 2
BIG_DECODER_GAIN = 8.0
BIG_K = 10
# iwae_bound inputs: one offset per example (column), thousands of nats apart, so one max over
# the whole tensor underflows every column but one; per-example logsumexp is exact
LW64_OFFSETS = (-10.0, -1000.0, -5000.0, -300.0, -2500.0, -50.0, -7000.0, -600.0)
LW32_OFFSETS = (-300.0, -20.0, -150.0, -600.0, -80.0, -450.0, -5.0, -250.0)

# ---------------------------------------------------------------- flows (exact checks)
FLOW_SHAPE = (2, 4, 4)
FLOW_HIDDEN = 8
FLOW_BATCH = 4
PERTURB_SCALE = 0.3
ACTNORM_SGD_STEPS = 2  # SGD steps through the parameters held since before the first forward
ACTNORM_SGD_LR = 0.05

# ---------------------------------------------------------------- training runs
IMAGE_SIZE = 14  # Fashion-MNIST, 2x2 average-pooled
TRAIN_SUBSET = 20000
TRAIN_BATCH = 128
TRAIN_MADE = {"hidden": [128], "steps": 600, "lr": 2e-3}
TRAIN_VAE = {"hidden": [128], "latent": 8, "steps": 600, "lr": 2e-3}


def generator(seed: int, *parts: str) -> torch.Generator:
    """CPU generator from the job seed and names (same value in and out of the sandbox)."""
    digest = hashlib.sha256(":".join(["hw1", str(seed), *parts]).encode()).digest()
    return torch.Generator().manual_seed(int.from_bytes(digest[:8], "big") >> 1)


def binarize(images_uint8: torch.Tensor) -> torch.Tensor:
    """uint8 ``(N, 28, 28)`` -> float32 ``(N, 196)``: 2x2 average pooling, then ``> 127.5``."""
    x = images_uint8.to(torch.float32).unsqueeze(1)
    x = torch.nn.functional.avg_pool2d(x, 2)
    return (x > 127.5).to(torch.float32).flatten(1)


def all_binary(d: int, dtype=torch.float64) -> torch.Tensor:
    return torch.tensor(list(itertools.product([0.0, 1.0], repeat=d)), dtype=dtype)


def positions(order: torch.Tensor) -> torch.Tensor:
    """``positions[d]`` = index of variable d in ``order``."""
    pos = torch.empty_like(order)
    pos[order] = torch.arange(order.numel())
    return pos


def allowed_connections(order: torch.Tensor) -> torch.Tensor:
    """Bool ``(D, D)``: ``[i, j]`` is True iff input j comes before output i in ``order``."""
    pos = positions(order)
    return pos[None, :] < pos[:, None]


# ---------------------------------------------------------------- seeded inputs
def _scrambled_order(d: int, g: torch.Generator) -> torch.Tensor:
    """A random permutation other than the identity (the natural order would hide bugs)."""
    while True:
        order = torch.randperm(d, generator=g)
        if not torch.equal(order, torch.arange(d)):
            return order


def _non_involution_order(d: int, g: torch.Generator) -> torch.Tensor:
    """A random permutation that is not its own inverse (``order[order] != arange``): sampling
    in ``argsort(order)`` instead of ``order`` then visits the variables in another order."""
    while True:
        order = torch.randperm(d, generator=g)
        if not torch.equal(order[order], torch.arange(d)):
            return order


def made_order(seed: int) -> torch.Tensor:
    return _scrambled_order(MADE_D, generator(seed, "made", "order"))


def small_order(seed: int) -> torch.Tensor:
    return _non_involution_order(SMALL_D, generator(seed, "small", "order"))


def made_inputs(seed: int) -> torch.Tensor:
    return torch.rand(
        MADE_N_INPUTS, MADE_D, generator=generator(seed, "made", "x"), dtype=torch.float64
    )


def made_train_batch(seed: int) -> torch.Tensor:
    g = generator(seed, "made", "train")
    return (torch.rand(64, MADE_D, generator=g, dtype=torch.float64) < 0.4).double()


PIXELCNN_N_SAMPLES = 16000
PIXELCNN_PAIR_STEPS = 150  # Adam steps on correlated_2x2: pixels come to depend on each other


def correlated_2x2(seed: int) -> torch.Tensor:
    """2x2 binary images whose pixels agree (all 0 or all 1), each flipped with probability 0.1:
    a model of them makes every pixel depend on the ones before, so a sampler that draws a
    pixel without conditioning on those already drawn is far off."""
    g = generator(seed, "pixelcnn", "correlated")
    base = (torch.rand(256, 1, 1, 1, generator=g, dtype=torch.float64) < 0.5).to(torch.float64)
    flip = (torch.rand(256, 1, 2, 2, generator=g, dtype=torch.float64) < 0.1).to(torch.float64)
    return (base.expand(256, 1, 2, 2) - flip).abs()


def pixelcnn_inputs(seed: int) -> torch.Tensor:
    g = generator(seed, "pixelcnn", "x")
    return torch.rand(4, 1, PIXELCNN_SIZE, PIXELCNN_SIZE, generator=g, dtype=torch.float64)


def pixelcnn_train_batch(seed: int) -> torch.Tensor:
    g = generator(seed, "pixelcnn", "train")
    return (
        torch.rand(8, 1, PIXELCNN_SIZE, PIXELCNN_SIZE, generator=g, dtype=torch.float64) < 0.4
    ).double()


def vae_inputs(seed: int) -> dict[str, torch.Tensor]:
    g = generator(seed, "vae", "inputs")
    f64 = torch.float64
    x = (torch.rand(VAE_BATCH, VAE_D, generator=g, dtype=f64) < 0.3).double()
    return {
        "x": x,
        "z": torch.randn(VAE_BATCH, VAE_LATENT, generator=g, dtype=f64),
        "kl_mu": 2 * torch.randn(VAE_BATCH, VAE_LATENT, generator=g, dtype=f64),
        "kl_logvar": 2 * torch.randn(VAE_BATCH, VAE_LATENT, generator=g, dtype=f64),
        "r_mu": torch.randn(VAE_BATCH, VAE_LATENT, generator=g, dtype=f64),
        "r_logvar": torch.randn(VAE_BATCH, VAE_LATENT, generator=g, dtype=f64),
        # log-weights (k = 10, 8 examples) mostly far below exp's range, with one offset per
        # example: the examples lie thousands (float64) or hundreds (float32) of nats apart
        "lw64": torch.tensor(LW64_OFFSETS, dtype=f64)
        + 50.0 * torch.randn(10, 8, generator=g, dtype=f64),
        "lw32": (
            torch.tensor(LW32_OFFSETS, dtype=f64) + 20.0 * torch.randn(10, 8, generator=g, dtype=f64)
        ).float(),
        "x_big": (torch.rand(8, BIG_D, generator=g, dtype=f64) < 0.5).double(),
    }


def flow_inputs(seed: int) -> dict[str, torch.Tensor]:
    g = generator(seed, "flows", "inputs")
    f64 = torch.float64
    shape = (FLOW_BATCH, *FLOW_SHAPE)
    scales = torch.tensor([0.5, 1.0, 2.0, 1.5], dtype=f64)[:, None, None, None]
    return {
        "x": torch.randn(shape, generator=g, dtype=f64) * scales,
        # ActNorm init batch: channel means and scales far from 0 and 1
        "x_init": torch.randn(64, *FLOW_SHAPE, generator=g, dtype=f64)
        * torch.tensor([3.0, 0.4], dtype=f64)[:, None, None]
        + torch.tensor([2.0, -1.0], dtype=f64)[:, None, None],
        "w_neg": perturbed_weight(g, FLOW_SHAPE[0], negative=True),
        "w_pos": perturbed_weight(g, FLOW_SHAPE[0], negative=False),
    }


def flow_nll(y: torch.Tensor, logdet: torch.Tensor) -> torch.Tensor:
    """``-mean log p(x)`` of a flow with output ``y`` and per-example ``logdet`` (standard-normal
    base): the loss whose gradients the flow checks compare."""
    log_base = -0.5 * (math.log(2 * math.pi) + y.pow(2)).flatten(1).sum(1)
    return -(log_base + logdet).mean()


def perturbed_weight(g: torch.Generator, c: int, negative: bool) -> torch.Tensor:
    """A non-orthogonal ``(c, c)`` matrix with ``|log|det|| > 0.1`` and det of the asked sign."""
    while True:
        w = torch.eye(c, dtype=torch.float64) * 1.3 + 0.5 * torch.randn(
            c, c, generator=g, dtype=torch.float64
        )
        det = torch.linalg.det(w)
        if (det < 0) != negative:
            w[0] = -w[0]
            det = -det
        if abs(math.log(abs(float(det)))) > 0.1 and float(torch.linalg.cond(w)) < 20:
            return w
