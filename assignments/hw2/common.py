"""HW2 code shared by tasks.py (inside the sandbox) and checks.py (trusted side).

Inputs are generated from the job's secret seed here, so that both sides build the same
tensors; nothing here is secret (expected values are computed only on the trusted side).
Imports only torch, numpy, safetensors and the standard library: course_models/ is not
available inside the sandbox.
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

HERE = Path(__file__).resolve().parent
DENOISER_PATH = HERE / "denoiser.safetensors"

T = 1000
BETA_START, BETA_END = 1e-4, 0.02
GP_LAMBDA = 10.0
DDIM_STEPS = 50
DDIM_FEW_STEPS = 10  # a second DDIM run: the steps argument must be honoured
ORACLE_MEAN, ORACLE_STD = 2.0, 0.5
ORACLE_SAMPLES = 10_000
NUM_SAMPLES = 500  # images drawn with the shipped denoiser for the samples check
LATENT_DIM = 64

# (t, t_prev) pairs checked for ddim_step; mid-range pairs are where swapped terms show.
DDIM_PAIRS = [(999, 979), (500, 250), (750, 500), (250, 0), (300, 100), (20, 0), (0, -1)]
DDPM_STEP_TS = [999, 750, 500, 250, 100, 1, 0]


def derive_seed(seed: int, *parts: str) -> int:
    digest = hashlib.sha256(":".join(["hw2", str(seed), *parts]).encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def gen(seed: int, *parts: str) -> torch.Generator:
    return torch.Generator().manual_seed(derive_seed(seed, *parts))


# ------------------------------------------------------------------------------------- GAN


def quadratic_critic(x: torch.Tensor) -> torch.Tensor:
    """D(x) = ½‖x‖² per sample: its gradient is x itself, so the gradient norm differs
    between real points, fake points and interpolates."""
    return 0.5 * x.flatten(1).pow(2).sum(dim=1)


def soft_quadratic_critic(x: torch.Tensor) -> torch.Tensor:
    """D(x) = 0.1‖x‖² per sample: on the penalty's inputs its gradient norms 0.2‖x‖ fall on both
    sides of 1, so a one-sided penalty (only norms above 1) gives another value."""
    return 0.1 * x.flatten(1).pow(2).sum(dim=1)


class ScaledQuadraticCritic(nn.Module):
    """D(x) = w · ½‖x‖² + bᵀx with trainable w, b: the penalty depends on them only through
    the gradient, so it back-propagates into them only with ``create_graph=True``."""

    def __init__(self, dim: int, seed: int) -> None:
        super().__init__()
        g = gen(seed, "critic-params")
        self.w = nn.Parameter(
            torch.tensor(0.3 + 0.4 * torch.rand((), generator=g).item(), dtype=torch.float64)
        )
        self.b = nn.Parameter(0.05 * torch.randn(dim, generator=g, dtype=torch.float64))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        flat = x.flatten(1)
        return self.w * 0.5 * flat.pow(2).sum(dim=1) + flat @ self.b


class SmallCritic(nn.Module):
    """A fixed nonlinear critic with seeded weights (float64)."""

    def __init__(self, dim: int, seed: int) -> None:
        super().__init__()
        g = gen(seed, "small-critic")
        self.w1 = nn.Parameter(
            torch.randn(dim, 32, generator=g, dtype=torch.float64) / math.sqrt(dim)
        )
        self.w2 = nn.Parameter(torch.randn(32, generator=g, dtype=torch.float64))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.tanh(x.flatten(1) @ self.w1) @ self.w2


def gan_inputs(seed: int) -> dict[str, torch.Tensor]:
    g = gen(seed, "gan")
    n = 24
    logits = torch.cat(
        [
            torch.randn(200, generator=g) * 3,
            torch.tensor([-120.0, -60.0, -20.0, 20.0, 60.0, 120.0]),
        ]
    )
    return {
        "fake_logits": logits,
        "real_logits": torch.cat([torch.randn(200, generator=g) * 3, -logits[200:]]),
        "real": 0.8 * torch.randn(n, 3, 4, 4, generator=g, dtype=torch.float64) + 0.5,
        "fake": 0.3 * torch.randn(n, 3, 4, 4, generator=g, dtype=torch.float64),
        "eps": torch.rand(n, generator=g, dtype=torch.float64),
    }


# ------------------------------------------------------------------------------- diffusion


def diffusion_inputs(seed: int) -> dict[str, torch.Tensor]:
    g = gen(seed, "diffusion")
    gi = gen(seed, "diffusion-images")  # its own stream: the draws above stay as they were
    x0 = torch.randn(T, 3, generator=g, dtype=torch.float64)
    return {
        "t_all": torch.arange(T),
        "x0": x0,
        "noise": torch.randn(T, 3, generator=g, dtype=torch.float64),
        "x_t": torch.randn(T, 3, generator=g, dtype=torch.float64),
        "loss_x0": torch.randn(64, 1, 4, 4, generator=g, dtype=torch.float64),
        "loss_t": torch.randint(0, T, (64,), generator=g),
        "loss_noise": torch.randn(64, 1, 4, 4, generator=g, dtype=torch.float64),
        "step_x": torch.randn(16, 5, generator=g, dtype=torch.float64),
        "step_noise": torch.randn(16, 5, generator=g, dtype=torch.float64),
        "ddim_x": torch.randn(16, 5, generator=g, dtype=torch.float64),
        "ddim_eps": torch.randn(16, 5, generator=g, dtype=torch.float64),
        "extra_pair": torch.sort(torch.randperm(T, generator=g)[:2], descending=True).values,
        # Image-shaped (T, 1, 2, 2): the coefficients must broadcast over every trailing dim.
        **{k: torch.randn(T, 1, 2, 2, generator=gi, dtype=torch.float64) for k in ("x0_img", "x_t_img")},
    }


def toy_eps_model(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """A fixed, nonlinear stand-in for ε_θ(x_t, t) (elementwise)."""
    tt = t.to(x.dtype).reshape(-1, *([1] * (x.ndim - 1))) / T
    return torch.tanh(x) * (0.5 + tt) + 0.3 * tt - 0.1 * x


def gaussian_oracle_eps(
    alphas_cumprod: torch.Tensor, mean: float = ORACLE_MEAN, std: float = ORACLE_STD
):
    """The exact ε-predictor E[ε | x_t] for data from N(mean, std²), elementwise."""

    def eps_model(x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        ac = alphas_cumprod.to(x_t.device)[t.to(x_t.device).long()]
        ac = ac.reshape(-1, *([1] * (x_t.ndim - 1))).to(x_t.dtype)
        return (1 - ac).sqrt() * (x_t - ac.sqrt() * mean) / (ac * std**2 + 1 - ac)

    return eps_model


def reference_alphas_cumprod() -> torch.Tensor:
    betas = torch.linspace(BETA_START, BETA_END, T, dtype=torch.float64)
    return torch.cumprod(1 - betas, dim=0)


def oracle_noise(seed: int) -> torch.Tensor:
    return torch.randn(ORACLE_SAMPLES, 1, generator=gen(seed, "oracle-xT"), dtype=torch.float64)


def samples_noise(seed: int) -> torch.Tensor:
    return torch.randn(NUM_SAMPLES, 784, generator=gen(seed, "samples-xT"))


# ------------------------------------------------------------------- the shipped denoiser


def timestep_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, device=t.device) / half)
    args = t.float()[:, None] * freqs[None]
    return torch.cat([args.sin(), args.cos()], dim=1)


class MLPDenoiser(nn.Module):
    """Same architecture as ``course_models.diffusion.MLPDenoiser`` (kept in sync by a test)."""

    def __init__(self, dim: int = 784, hidden: int = 256, temb: int = 64) -> None:
        super().__init__()
        self.dim, self.temb = dim, temb
        self.inp = nn.Linear(dim, hidden)
        self.t1 = nn.Linear(temb, hidden)
        self.h1 = nn.Linear(hidden, hidden)
        self.t2 = nn.Linear(temb, hidden)
        self.h2 = nn.Linear(hidden, hidden)
        self.out = nn.Linear(hidden, dim)
        self.skip = nn.Linear(temb, dim)

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        shape = x.shape
        e = timestep_embedding(t, self.temb).to(x.dtype)
        h = F.silu(self.inp(x.reshape(shape[0], -1)) + self.t1(e))
        h = F.silu(self.h1(h) + self.t2(e))
        h = F.silu(self.h2(h))
        return (x.reshape(shape[0], -1) * self.skip(e) + self.out(h)).reshape(shape)


def load_denoiser(device: str = "cpu") -> MLPDenoiser:
    from safetensors.torch import load_file

    net = MLPDenoiser()
    state = {k: v.float() for k, v in load_file(str(DENOISER_PATH)).items()}
    net.load_state_dict(state)
    return net.eval().to(device)


def to_uint8_images(x: torch.Tensor) -> torch.Tensor:
    """(N, 784) in [-1, 1] -> uint8 (N, 28, 28)."""
    x = x.detach().float().cpu().reshape(-1, 28, 28)
    return ((x.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)


def image_grid(images: torch.Tensor, rows: int = 8, cols: int = 16) -> torch.Tensor:
    """uint8 (N, 28, 28) -> uint8 (rows·28, cols·28) grid of the first rows·cols images."""
    k = min(rows * cols, images.shape[0])
    grid = torch.zeros(rows * 28, cols * 28, dtype=torch.uint8)
    for i in range(k):
        r, c = divmod(i, cols)
        grid[r * 28 : (r + 1) * 28, c * 28 : (c + 1) * 28] = images[i]
    return grid


# --------------------------------------------------------------------------------- metrics


def metrics_inputs(seed: int) -> dict[str, torch.Tensor]:
    """float64 features for the metric functions; shapes chosen to exercise each regime."""
    g = gen(seed, "metrics")
    d = 32
    a = torch.randn(400, d, generator=g, dtype=torch.float64)
    mix = torch.randn(d, d, generator=g, dtype=torch.float64) / math.sqrt(d)
    b = a[:300] @ (torch.eye(d, dtype=torch.float64) + 0.5 * mix) + 0.3
    # Rank-deficient statistics: 20 samples in 48 dimensions.
    c1 = torch.randn(20, 48, generator=g, dtype=torch.float64)
    c2 = torch.randn(20, 48, generator=g, dtype=torch.float64) * 1.3 + 0.2
    # Small distance, large traces: where float32 arithmetic goes wrong.
    dl = 64
    basis = torch.linalg.qr(torch.randn(dl, dl, generator=g, dtype=torch.float64)).Q
    spectrum = torch.logspace(1.5, -3, dl, dtype=torch.float64)
    base = basis @ torch.diag(spectrum) @ basis.T
    pert = torch.randn(dl, dl, generator=g, dtype=torch.float64) * 1e-3
    # Two modes for precision/recall: generated samples cover only the first.
    real_modes = torch.cat(
        [
            torch.randn(150, 8, generator=g, dtype=torch.float64) + 6.0,
            torch.randn(150, 8, generator=g, dtype=torch.float64) - 6.0,
        ]
    )
    gen_one_mode = torch.randn(200, 8, generator=g, dtype=torch.float64) + 6.0
    kx = torch.randn(120, 16, generator=g, dtype=torch.float64)
    return {
        "fd_a": a,
        "fd_b": b,
        "fd_c1": c1,
        "fd_c2": c2,
        "fd_big_mu1": torch.randn(dl, generator=g, dtype=torch.float64) * 3,
        "fd_big_sigma1": base,
        "fd_big_sigma2": base + pert @ pert.T,
        "kid_x": kx,
        "kid_y": kx + 0.02 * torch.randn(120, 16, generator=g, dtype=torch.float64),
        "kid_a": torch.randn(500, 16, generator=g, dtype=torch.float64),
        "kid_b": torch.randn(450, 16, generator=g, dtype=torch.float64) * 1.1 + 0.1,
        "pr_real": torch.randn(300, 6, generator=g, dtype=torch.float64),
        "pr_gen": torch.randn(250, 6, generator=g, dtype=torch.float64) * 1.4 + 0.3,
        "pr_real_modes": real_modes,
        "pr_gen_one_mode": gen_one_mode,
        "kid_seed": torch.randint(0, 2**31 - 1, (1,), generator=g),
        **_metrics_edge_cases(seed),
    }


def _metrics_edge_cases(seed: int) -> dict[str, torch.Tensor]:
    """Sets of unequal size below the KID subset size, and exact ties for precision/recall."""
    g = gen(seed, "metrics-edge-cases")
    base = torch.randn(30, 6, generator=g, dtype=torch.float64)
    return {
        "kid_small_a": torch.randn(150, 16, generator=g, dtype=torch.float64),
        "kid_small_b": torch.randn(260, 16, generator=g, dtype=torch.float64) * 1.2 + 0.1,
        # Every real point four times: its radius (k = 3) is 0, so a generated copy of it lies
        # exactly on the radius, inside with <=, outside with <.
        "pr_dup_real": base.repeat_interleave(4, dim=0),
        "pr_dup_gen": torch.cat([base[:20], torch.randn(30, 6, generator=g, dtype=torch.float64) * 3 + 5]),
    }


def covariance(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    mu = x.mean(dim=0)
    c = x - mu
    return mu, c.T @ c / (x.shape[0] - 1)
