"""HW2 RUN phase: runs INSIDE the sandbox, next to the student's code.

It only calls the student's functions on inputs built from the job seed and saves what they
return (safetensors + JSON). Every verdict is computed by checks.py on the trusted side.
A failing call is recorded as an error string, so that the other parts still get graded.
"""

from __future__ import annotations

import importlib.util
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch


def _load_common() -> Any:
    name = "hw2_common"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("common.py"))
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


common = _load_common()


class _Recorder:
    """Collects output tensors and error messages for one task."""

    def __init__(self) -> None:
        self.tensors: dict[str, torch.Tensor] = {}
        self.errors: dict[str, str] = {}
        self.info: dict[str, Any] = {}

    def call(self, key: str, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except Exception as exc:  # the student's code may raise anything
            tb = traceback.format_exception_only(type(exc), exc)[-1].strip()
            self.errors[key] = tb[:500]
            return None

    def put(self, key: str, value: Any) -> None:
        """Store a tensor (or a tuple of tensors as key_0, key_1, …)."""
        if value is None:
            return
        try:
            if isinstance(value, tuple | list):
                for i, v in enumerate(value):
                    self.put(f"{key}_{i}", v)
                return
            if isinstance(value, float | int | bool):
                value = torch.tensor(
                    float(value), dtype=torch.float64
                )  # not float32: keep every digit
            elif not isinstance(value, torch.Tensor):
                value = torch.as_tensor(value)
            t = value.detach().to("cpu")
            if not torch.is_floating_point(t):
                t = t.to(torch.float64)
            self.tensors[key] = t.to(torch.float64).contiguous()
        except Exception as exc:
            self.errors[key] = f"could not convert the result to a tensor: {exc}"[:500]

    def save(self, ctx: Any, name: str) -> None:
        if self.tensors:
            ctx.save_tensors(name, self.tensors)
        ctx.save_json(name + "_info", {"errors": self.errors, **self.info})


def _small_work() -> None:
    # The tensors here are small: one thread avoids OpenMP spinning on a shared CPU, where two
    # threads made the oracle task ten times slower.
    torch.set_num_threads(1)


def _dev(ctx: Any, x: torch.Tensor) -> torch.Tensor:
    return x.to(ctx.device)


def task_gan(ctx: Any) -> None:
    _small_work()
    gan = ctx.import_student("gan")
    rec = _Recorder()
    inp = common.gan_inputs(ctx.seed)

    # Losses: value and gradient with respect to the logits.
    fake = _dev(ctx, inp["fake_logits"]).requires_grad_(True)
    loss = rec.call("generator_loss", lambda: gan.generator_loss(fake))
    rec.put("generator_loss", loss)
    if loss is not None:
        rec.put(
            "generator_loss_grad",
            rec.call("generator_loss_grad", lambda: torch.autograd.grad(loss, fake)[0]),
        )
    real = _dev(ctx, inp["real_logits"]).requires_grad_(True)
    fake2 = _dev(ctx, inp["fake_logits"]).requires_grad_(True)
    dloss = rec.call("discriminator_loss", lambda: gan.discriminator_loss(real, fake2))
    rec.put("discriminator_loss", dloss)
    if dloss is not None:
        rec.put(
            "discriminator_loss_grad",
            rec.call("discriminator_loss_grad", lambda: torch.autograd.grad(dloss, (real, fake2))),
        )

    # Gradient penalty with critics whose gradient varies from point to point.
    r, f, e = (_dev(ctx, inp[k]) for k in ("real", "fake", "eps"))
    rec.put(
        "gp_quadratic",
        rec.call("gp_quadratic", lambda: gan.gradient_penalty(common.quadratic_critic, r, f, e)),
    )
    small = common.SmallCritic(r[0].numel(), ctx.seed).to(ctx.device)
    rec.put("gp_small", rec.call("gp_small", lambda: gan.gradient_penalty(small, r, f, e)))
    rec.put("gp_soft", rec.call("gp_soft", lambda: gan.gradient_penalty(common.soft_quadratic_critic, r, f, e)))
    rec.put(
        "gp_flat",
        rec.call(
            "gp_flat",
            lambda: gan.gradient_penalty(common.quadratic_critic, r.flatten(1), f.flatten(1), e),
        ),
    )
    scaled = common.ScaledQuadraticCritic(r[0].numel(), ctx.seed).to(ctx.device)

    def penalty_grads() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        gp = gan.gradient_penalty(scaled, r, f, e)
        gw, gb = torch.autograd.grad(gp, (scaled.w, scaled.b), allow_unused=True)
        if gw is None or gb is None:
            raise RuntimeError("the penalty does not depend on the critic's parameters")
        return gp, gw, gb

    rec.put("gp_param", rec.call("gp_param", penalty_grads))

    # Architecture: shapes, range, and whether the discriminator mixes samples.
    def architecture() -> dict[str, torch.Tensor]:
        torch.manual_seed(common.derive_seed(ctx.seed, "arch") % 2**31)
        g_net = gan.Generator(latent_dim=common.LATENT_DIM).to(ctx.device)
        d_net = gan.Discriminator().to(ctx.device)
        z = torch.randn(8, common.LATENT_DIM, generator=common.gen(ctx.seed, "z")).to(ctx.device)
        images = g_net(z)
        x = torch.rand(6, 1, 28, 28, generator=common.gen(ctx.seed, "x")).to(ctx.device) * 2 - 1
        x.requires_grad_(True)
        d_net.train()
        logits = d_net(x)
        (grad0,) = torch.autograd.grad(logits.reshape(-1)[0], x)
        n_params = sum(p.numel() for p in g_net.parameters()) + sum(
            p.numel() for p in d_net.parameters()
        )
        # Every parameter ×10: the generator's output saturates at the ends of its range and the
        # discriminator's logits grow, which shows a missing tanh or a sigmoid at either end.
        with torch.no_grad():
            for p in (*g_net.parameters(), *d_net.parameters()):
                p.mul_(10)
            loud_images, loud_logits = g_net(z), d_net(x)
        return {
            "g_loud_min": loud_images.min(),
            "g_loud_max": loud_images.max(),
            "d_loud_min": loud_logits.min(),
            "d_loud_max": loud_logits.max(),
            "g_shape": torch.tensor(list(images.shape)),
            "g_min": images.min().detach(),
            "g_max": images.max().detach(),
            "d_shape": torch.tensor(list(logits.shape)),
            # Row i: how much logit 0 depends on sample i (only i = 0 may be nonzero).
            "d_cross": grad0.flatten(1).abs().sum(dim=1),
            "n_params": torch.tensor(n_params),
        }

    arch = rec.call("architecture", architecture)
    if arch is not None:
        for k, v in arch.items():
            rec.put("arch_" + k, v)
    rec.save(ctx, "gan")


def task_diffusion(ctx: Any) -> None:
    _small_work()
    diffusion = ctx.import_student("diffusion")
    rec = _Recorder()
    inp = common.diffusion_inputs(ctx.seed)
    dev = {k: _dev(ctx, v) for k, v in inp.items()}
    betas = rec.call(
        "betas",
        lambda: diffusion.linear_beta_schedule(common.T, common.BETA_START, common.BETA_END),
    )
    rec.put("betas", betas)
    if betas is None:
        betas = torch.linspace(common.BETA_START, common.BETA_END, common.T, dtype=torch.float64)
    rec.put("alphas_cumprod", rec.call("alphas_cumprod", lambda: diffusion.alphas_cumprod(betas)))
    # From here on every function gets the correct schedule, so a schedule bug costs its
    # points only once.
    betas = torch.linspace(common.BETA_START, common.BETA_END, common.T, dtype=torch.float64)
    b_dev = _dev(ctx, betas)
    t_all = dev["t_all"]
    rec.put(
        "q_sample",
        rec.call("q_sample", lambda: diffusion.q_sample(dev["x0"], t_all, dev["noise"], b_dev)),
    )
    rec.put(
        "posterior",
        rec.call(
            "posterior",
            lambda: tuple(diffusion.posterior_mean_variance(dev["x0"], dev["x_t"], t_all, b_dev)),
        ),
    )
    rec.put(
        "posterior_img",
        rec.call(
            "posterior_img",
            lambda: tuple(
                diffusion.posterior_mean_variance(dev["x0_img"], dev["x_t_img"], t_all, b_dev)
            ),
        ),
    )
    rec.put(
        "loss",
        rec.call(
            "loss",
            lambda: diffusion.ddpm_loss(
                common.toy_eps_model, dev["loss_x0"], dev["loss_t"], dev["loss_noise"], b_dev
            ),
        ),
    )
    for t in common.DDPM_STEP_TS:
        rec.put(
            f"ddpm_step_{t}",
            rec.call(
                f"ddpm_step_{t}",
                lambda t=t: diffusion.ddpm_step(
                    common.toy_eps_model, dev["step_x"], t, dev["step_noise"], b_dev
                ),
            ),
        )
    pairs = [*common.DDIM_PAIRS, tuple(int(v) for v in inp["extra_pair"])]
    for t, t_prev in pairs:
        key = f"ddim_step_{t}_{t_prev}"
        rec.put(
            key,
            rec.call(
                key,
                lambda t=t, tp=t_prev: diffusion.ddim_step(
                    dev["ddim_x"], dev["ddim_eps"], t, tp, b_dev
                ),
            ),
        )
    rec.info["ddim_pairs"] = [list(p) for p in pairs]
    rec.save(ctx, "diffusion")


def task_oracle(ctx: Any) -> None:
    _small_work()
    diffusion = ctx.import_student("diffusion")
    rec = _Recorder()
    betas = torch.linspace(common.BETA_START, common.BETA_END, common.T, dtype=torch.float64)
    oracle = common.gaussian_oracle_eps(common.reference_alphas_cumprod())
    x_T = _dev(ctx, common.oracle_noise(ctx.seed))
    b_dev = _dev(ctx, betas)
    g = common.gen(ctx.seed, "oracle-ddpm-noise")
    rec.put("ddpm", rec.call("ddpm", lambda: diffusion.ddpm_sample(oracle, x_T, b_dev, g)))
    for steps in (common.DDIM_STEPS, common.DDIM_FEW_STEPS):
        key = "ddim" if steps == common.DDIM_STEPS else f"ddim_{steps}"
        rec.put(key, rec.call(key, lambda s=steps: diffusion.ddim_sample(oracle, x_T, b_dev, steps=s)))
    rec.save(ctx, "oracle")


def task_samples(ctx: Any) -> None:
    _small_work()
    diffusion = ctx.import_student("diffusion")
    rec = _Recorder()
    betas = _dev(
        ctx, torch.linspace(common.BETA_START, common.BETA_END, common.T, dtype=torch.float64)
    )
    net = common.load_denoiser(ctx.device)
    x_T = _dev(ctx, common.samples_noise(ctx.seed))
    with torch.no_grad():
        x = rec.call(
            "samples", lambda: diffusion.ddim_sample(net, x_T, betas, steps=common.DDIM_STEPS)
        )
    if x is not None:
        try:
            images = common.to_uint8_images(torch.as_tensor(x).reshape(common.NUM_SAMPLES, 784))
            ctx.save_tensors("samples", {"images": images})
            ctx.save_png("grid", common.image_grid(images).numpy())
        except Exception as exc:
            rec.errors["samples"] = f"samples of the wrong shape: {exc}"[:500]
    ctx.save_json("samples_info", {"errors": rec.errors})


def task_metrics(ctx: Any) -> None:
    _small_work()
    metrics = ctx.import_student("metrics")
    rec = _Recorder()
    inp = {k: v.numpy() for k, v in common.metrics_inputs(ctx.seed).items()}
    stats = {
        k: [t.numpy() for t in common.covariance(torch.from_numpy(inp[k]))]
        for k in ("fd_a", "fd_b", "fd_c1", "fd_c2")
    }
    (ma, sa), (mb, sb), (mc1, sc1), (mc2, sc2) = (
        stats[k] for k in ("fd_a", "fd_b", "fd_c1", "fd_c2")
    )
    cases = {
        "fd_ab": (ma, sa, mb, sb),
        "fd_ba": (mb, sb, ma, sa),
        "fd_aa": (ma, sa, ma, sa),
        "fd_rank_deficient": (mc1, sc1, mc2, sc2),
        "fd_small_large_trace": (
            inp["fd_big_mu1"],
            inp["fd_big_sigma1"],
            inp["fd_big_mu1"] + 1e-3,
            inp["fd_big_sigma2"],
        ),
    }
    for key, args in cases.items():
        rec.put(key, rec.call(key, lambda args=args: float(metrics.frechet_distance(*args))))
    seed = int(inp["kid_seed"][0])
    kid_cases = {
        "kid_near_copies": (
            inp["kid_x"],
            inp["kid_y"],
            1,
            1000,
            seed,
        ),  # one full-set subset: deterministic
        "kid_subsets": (inp["kid_a"], inp["kid_b"], 20, 100, seed),
        "kid_same_subsets": (inp["kid_a"], inp["kid_a"][::-1].copy(), 10, 50, seed + 1),
        # n1 != n2, both below the subset size: m = min(subset_size, n1, n2).
        "kid_unequal": (inp["kid_small_a"], inp["kid_small_b"], 5, 1000, seed + 2),
    }
    for key, (x, y, n_sub, size, s) in kid_cases.items():
        rec.put(
            key,
            rec.call(
                key,
                lambda x=x, y=y, n=n_sub, m=size, s=s: tuple(
                    float(v) for v in metrics.kid(x, y, subsets=n, subset_size=m, seed=s)
                ),
            ),
        )
    pr_cases = {
        "pr_random": (inp["pr_real"], inp["pr_gen"]),
        "pr_one_of_two_modes": (inp["pr_real_modes"], inp["pr_gen_one_mode"]),
        "pr_exact_ties": (inp["pr_dup_real"], inp["pr_dup_gen"]),
    }
    for key, (real, gen) in pr_cases.items():
        rec.put(
            key,
            rec.call(
                key,
                lambda r=real, g=gen: tuple(float(v) for v in metrics.precision_recall(r, g, k=3)),
            ),
        )
    rec.save(ctx, "metrics")
