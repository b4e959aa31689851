"""HW2 VERIFY phase: trusted. Never imports or runs the student's code.

Each check reads the artifacts that tasks.py saved, rebuilds the same inputs from the job
seed (common.py) and compares with course_models/ (the reference) or with closed forms.
Stochastic thresholds come from CALIBRATION.md (calibrate.py).
"""

from __future__ import annotations

import importlib.util
import math
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import torch

from course_models import diffusion as ref_diffusion
from course_models import gan as ref_gan
from course_models import metrics as ref_metrics
from grader.verify import CheckFailed, CheckResult


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

# Calibrated on the reference: 400 seeds (oracle), 200 seeds (samples); see CALIBRATION.md.
ORACLE_DDPM_MEAN_TOL = 0.0252
ORACLE_DDPM_STD_TOL = 0.0217
SAMPLES_FID_PASS = 546.0  # full marks at or below; zero at twice this value
NEAR_COPY_RMS = 0.03  # RMS pixel distance in [0, 1] below which a sample is a near-copy
NEAR_COPY_MAX_FRACTION = 0.02


# ------------------------------------------------------------------------------ helpers


@contextmanager
def _one_thread() -> Iterator[None]:
    """Thousands of small steps (the samplers): a second OpenMP thread only spins, ten times slower."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def _artifacts(ctx: Any, task: str, name: str) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    info = ctx.load_json(task, name + "_info")
    errors = dict(info.get("errors", {})) if isinstance(info, dict) else {}
    try:
        tensors = ctx.load_tensors(task, name)
    except CheckFailed:
        if errors:
            tensors = {}
        else:
            raise
    return tensors, errors


def _get(
    tensors: dict[str, torch.Tensor],
    errors: dict[str, str],
    key: str,
    shape: tuple[int, ...] | None = None,
) -> torch.Tensor:
    """The student's result ``key`` as float64, or CheckFailed saying why it is missing."""
    if key not in tensors:
        base = key.rsplit("_", 1)[0]
        message = errors.get(key) or errors.get(base) or "no result was recorded"
        raise CheckFailed(f"{key}: {message}")
    value = tensors[key].to(torch.float64)
    if shape is not None and tuple(value.shape) != tuple(shape):
        raise CheckFailed(f"{key}: expected shape {tuple(shape)}, got {tuple(value.shape)}")
    if not torch.isfinite(value).all():
        raise CheckFailed(f"{key}: contains NaN or infinity")
    return value


def _close(
    actual: torch.Tensor, expected: torch.Tensor, rtol: float, atol: float
) -> tuple[bool, float]:
    actual, expected = actual.to(torch.float64).cpu(), expected.to(torch.float64).cpu()
    if actual.shape != expected.shape:
        try:
            actual = actual.reshape(expected.shape)
        except RuntimeError:
            return False, math.inf
    if not torch.isfinite(actual).all():
        return False, math.inf
    err = (actual - expected).abs()
    ok = bool((err <= atol + rtol * expected.abs()).all())
    return ok, float(err.max()) if err.numel() else 0.0


def _score_parts(parts: dict[str, tuple[bool, str]]) -> CheckResult:
    """Partial credit: the fraction of named parts that pass; messages for the failures."""
    passed = [k for k, (ok, _) in parts.items() if ok]
    failed = [f"{k}: {msg}" for k, (ok, msg) in parts.items() if not ok]
    score = len(passed) / len(parts)
    lines = [f"{len(passed)}/{len(parts)} parts correct."] + failed
    if score == 0:
        raise CheckFailed("\n".join(lines))
    return CheckResult(score=score, output="\n".join(lines), metrics={"parts_passed": len(passed)})


def _part(
    tensors: dict,
    errors: dict,
    key: str,
    expected: torch.Tensor,
    rtol: float,
    atol: float,
    hint: str = "",
) -> tuple[bool, str]:
    try:
        actual = _get(tensors, errors, key)
    except CheckFailed as exc:
        return False, str(exc)
    ok, err = _close(actual, expected, rtol, atol)
    if ok:
        return True, ""
    return False, f"differs from the expected value (max abs error {err:.3g}){hint}"


# -------------------------------------------------------------------------------- GAN


def check_gan_losses(ctx: Any) -> CheckResult:
    tensors, errors = _artifacts(ctx, "gan", "gan")
    inp = common.gan_inputs(ctx.seed)
    fake = inp["fake_logits"].clone().requires_grad_(True)
    g_loss = ref_gan.generator_loss(fake)
    (g_grad,) = torch.autograd.grad(g_loss, fake)
    real = inp["real_logits"].clone().requires_grad_(True)
    fake2 = inp["fake_logits"].clone().requires_grad_(True)
    d_loss = ref_gan.discriminator_loss(real, fake2)
    d_grad_real, d_grad_fake = torch.autograd.grad(d_loss, (real, fake2))
    rtol, atol = 1e-5, 1e-6
    hint_g = ""
    if "generator_loss" in tensors:
        saturating = -torch.nn.functional.softplus(inp["fake_logits"]).mean()
        if _close(tensors["generator_loss"], saturating.detach(), 1e-4, 1e-5)[0]:
            hint_g = " — this is the saturating loss log(1 − D(G(z))); use −log D(G(z))"
    parts = {
        "generator_loss": _part(
            tensors,
            errors,
            "generator_loss",
            g_loss.detach(),
            rtol,
            atol,
            hint_g or " (logits up to ±120 included: use a numerically stable form)",
        ),
        "generator_loss_grad": _part(tensors, errors, "generator_loss_grad", g_grad, rtol, atol),
        "discriminator_loss": _part(
            tensors,
            errors,
            "discriminator_loss",
            d_loss.detach(),
            rtol,
            atol,
            " (logits up to ±120 included: use a numerically stable form)",
        ),
        "discriminator_loss_grad_real": _part(
            tensors, errors, "discriminator_loss_grad_0", d_grad_real, rtol, atol
        ),
        "discriminator_loss_grad_fake": _part(
            tensors, errors, "discriminator_loss_grad_1", d_grad_fake, rtol, atol
        ),
    }
    return _score_parts(parts)


def check_gan_architecture(ctx: Any) -> CheckResult:
    tensors, errors = _artifacts(ctx, "gan", "gan")
    if "arch_g_shape" not in tensors:
        raise CheckFailed(
            f"Generator/Discriminator could not be run: {errors.get('architecture', 'no result')}"
        )
    parts: dict[str, tuple[bool, str]] = {}
    g_shape = [int(v) for v in tensors["arch_g_shape"].tolist()]
    parts["generator_shape"] = (
        g_shape == [8, 1, 28, 28],
        f"Generator output shape {g_shape}, expected [8, 1, 28, 28]",
    )
    lo, hi = float(tensors["arch_g_min"]), float(tensors["arch_g_max"])
    parts["generator_range"] = (
        -1 - 1e-6 <= lo and hi <= 1 + 1e-6,
        f"Generator outputs span [{lo:.3g}, {hi:.3g}], not within [-1, 1]",
    )
    # With every parameter ×10 a tanh output saturates at both ends; a sigmoid stays in [0, 1].
    loud_lo, loud_hi = (float(tensors.get(k, torch.tensor(math.nan))) for k in ("arch_g_loud_min", "arch_g_loud_max"))
    parts["generator_tanh"] = (
        -1 - 1e-6 <= loud_lo <= -0.9 and 0.9 <= loud_hi <= 1 + 1e-6,
        f"with its parameters ×10 the Generator's outputs span [{loud_lo:.3g}, {loud_hi:.3g}]: "
        "images live in [-1, 1] and the last layer should be a tanh reaching both ends",
    )
    d_lo, d_hi = (float(tensors.get(k, torch.tensor(math.nan))) for k in ("arch_d_loud_min", "arch_d_loud_max"))
    parts["discriminator_logits"] = (
        d_lo < 0 or d_hi > 1,
        f"with its parameters ×10 the Discriminator's outputs stay in [{d_lo:.3g}, {d_hi:.3g}] ⊂ [0, 1]: "
        "return logits (no sigmoid); the losses apply the log-sigmoid themselves",
    )
    d_shape = [int(v) for v in tensors["arch_d_shape"].tolist()]
    parts["discriminator_shape"] = (
        d_shape == [6],
        f"Discriminator output shape {d_shape}, expected [6] (one logit per image)",
    )
    cross = tensors["arch_d_cross"].to(torch.float64)
    leak = float(cross[1:].max()) if cross.numel() > 1 else 0.0
    own = float(cross[0]) if cross.numel() else 0.0
    parts["discriminator_per_sample"] = (
        own > 0 and leak <= 1e-6 * own,
        f"the logit of image 0 depends on other images of the batch (gradient {leak:.3g} vs {own:.3g}); "
        "a critic for WGAN-GP must not use batch normalisation",
    )
    n_params = int(tensors["arch_n_params"])
    parts["size"] = (
        n_params <= 5_000_000,
        f"{n_params} parameters; keep both networks under 5 million together",
    )
    return _score_parts(parts)


def _closed_form_quadratic_penalty(x: torch.Tensor) -> torch.Tensor:
    norms = x.flatten(1).norm(dim=1)
    return common.GP_LAMBDA * ((norms - 1) ** 2).mean()


def check_gradient_penalty(ctx: Any) -> CheckResult:
    tensors, errors = _artifacts(ctx, "gan", "gan")
    inp = common.gan_inputs(ctx.seed)
    r, f, e = inp["real"], inp["fake"], inp["eps"]
    x_hat = ref_gan.interpolates(r, f, e)
    expected = _closed_form_quadratic_penalty(x_hat)
    hint = ""
    if "gp_quadratic" in tensors:
        got = tensors["gp_quadratic"].to(torch.float64)
        diagnoses = {
            "evaluated at the real points instead of the interpolates": _closed_form_quadratic_penalty(
                r
            ),
            "evaluated at the fake points instead of the interpolates": _closed_form_quadratic_penalty(
                f
            ),
            "ε and 1 − ε swapped (x̂ = ε x_fake + (1 − ε) x_real)": _closed_form_quadratic_penalty(
                ref_gan.interpolates(f, r, e)
            ),
            "the norm is taken over the whole batch instead of per sample": common.GP_LAMBDA
            * (x_hat.norm() - 1) ** 2,
            "λ is missing": expected / common.GP_LAMBDA,
        }
        for text, value in diagnoses.items():
            if _close(got, value, 1e-6, 1e-9)[0]:
                hint = f" — the value matches a penalty {text}"
                break
    small = common.SmallCritic(r[0].numel(), ctx.seed)
    expected_small = ref_gan.gradient_penalty(small, r, f, e).detach()
    expected_soft = ref_gan.gradient_penalty(common.soft_quadratic_critic, r, f, e).detach()
    parts = {
        "quadratic_critic": _part(tensors, errors, "gp_quadratic", expected, 1e-6, 1e-9, hint),
        "nonlinear_critic": _part(tensors, errors, "gp_small", expected_small, 1e-6, 1e-9),
        "gradient_norms_below_1": _part(
            tensors, errors, "gp_soft", expected_soft, 1e-6, 1e-9,
            " (gradient norms below 1 are penalised too: (‖∇D‖ − 1)², two-sided)",
        ),
        "flat_inputs": _part(
            tensors, errors, "gp_flat", expected, 1e-6, 1e-9,
            " (inputs of shape (N, D): ε and the norm must work for any number of trailing dimensions)",
        ),
    }
    result = _score_parts(parts)
    result.metrics["expected_quadratic"] = float(expected)
    return result


def check_gradient_penalty_graph(ctx: Any) -> CheckResult:
    tensors, errors = _artifacts(ctx, "gan", "gan")
    inp = common.gan_inputs(ctx.seed)
    r, f, e = inp["real"], inp["fake"], inp["eps"]
    critic = common.ScaledQuadraticCritic(r[0].numel(), ctx.seed)
    gp = ref_gan.gradient_penalty(critic, r, f, e)
    gw, gb = torch.autograd.grad(gp, (critic.w, critic.b))
    if "gp_param_1" not in tensors:
        message = errors.get("gp_param", "no result")
        if "does not require grad" in message or "does not depend" in message:
            message += " — compute the input gradient with create_graph=True so the penalty can be back-propagated"
        raise CheckFailed(
            f"back-propagating the penalty into the critic's parameters failed: {message}"
        )
    parts = {
        "penalty": _part(tensors, errors, "gp_param_0", gp.detach(), 1e-6, 1e-9),
        "grad_w": _part(tensors, errors, "gp_param_1", gw, 1e-6, 1e-9),
        "grad_b": _part(tensors, errors, "gp_param_2", gb, 1e-6, 1e-9),
    }
    return _score_parts(parts)


# -------------------------------------------------------------------------- diffusion

_TABLES = ref_diffusion.make_tables()


def check_schedule(ctx: Any) -> CheckResult:
    tensors, errors = _artifacts(ctx, "diffusion", "diffusion")
    known = {
        0: 0.9999,
        99: 0.89701815,
        249: 0.52408537,
        499: 0.07858724,
        749: 3.3506e-3,
        999: 4.0358e-5,
    }
    parts = {
        "betas": _part(tensors, errors, "betas", _TABLES.betas, 1e-12, 0.0),
        "alphas_cumprod": _part(
            tensors,
            errors,
            "alphas_cumprod",
            _TABLES.alphas_cumprod,
            1e-10,
            0.0,
            " (build the tables in float64: ᾱ at t = 999 is 4.0358e-5)",
        ),
    }
    result = _score_parts(parts)
    if "alphas_cumprod" in tensors and tensors["alphas_cumprod"].numel() == common.T:
        result.metrics.update({f"alphabar_{t}": float(tensors["alphas_cumprod"][t]) for t in known})
    return result


def check_q_sample(ctx: Any) -> CheckResult:
    tensors, errors = _artifacts(ctx, "diffusion", "diffusion")
    inp = common.diffusion_inputs(ctx.seed)
    expected = ref_diffusion.q_sample(_TABLES, inp["x0"], inp["t_all"], inp["noise"])
    actual = _get(tensors, errors, "q_sample", tuple(expected.shape))
    ok, err = _close(actual, expected, 1e-9, 1e-12)
    if not ok:
        bad = (
            ((actual - expected).abs() > 1e-12 + 1e-9 * expected.abs())
            .any(dim=1)
            .nonzero()
            .flatten()
            .tolist()
        )
        raise CheckFailed(
            f"q_sample is wrong at {len(bad)} of {common.T} time steps (first: t = {bad[:5]}); max error {err:.3g}"
        )
    return CheckResult(score=1.0, output=f"q_sample matches at all {common.T} time steps")


def check_ddpm_loss(ctx: Any) -> CheckResult:
    tensors, errors = _artifacts(ctx, "diffusion", "diffusion")
    inp = common.diffusion_inputs(ctx.seed)
    expected = ref_diffusion.ddpm_loss(
        _TABLES, common.toy_eps_model, inp["loss_x0"], inp["loss_t"], inp["loss_noise"]
    )
    actual = _get(tensors, errors, "loss")
    ok, err = _close(actual.reshape(()), expected, 1e-9, 1e-12)
    if not ok:
        raise CheckFailed(
            f"loss {float(actual.reshape(-1)[0]):.6g}, expected {float(expected):.6g}: "
            "the target is the noise ε, the loss the mean squared error over all elements"
        )
    return CheckResult(score=1.0, output=f"loss {float(expected):.6g} as expected")


def check_posterior(ctx: Any) -> CheckResult:
    tensors, errors = _artifacts(ctx, "diffusion", "diffusion")
    inp = common.diffusion_inputs(ctx.seed)
    mean, var, logvar = ref_diffusion.posterior_mean_variance(
        _TABLES, inp["x0"], inp["x_t"], inp["t_all"]
    )
    parts: dict[str, tuple[bool, str]] = {}
    for i, (name, expected, rtol, atol) in enumerate(
        [
            ("mean", mean, 1e-8, 1e-12),
            ("variance", var, 1e-8, 1e-15),
            ("log_variance", logvar, 1e-9, 1e-9),
        ]
    ):
        key = f"posterior_{i}"
        try:
            actual = _get(tensors, errors, key)
            actual = (
                actual.reshape(expected.shape) if actual.numel() == expected.numel() else actual
            )
            if actual.shape != expected.shape:
                actual = actual.expand_as(expected)
        except (CheckFailed, RuntimeError) as exc:
            parts[name] = (False, str(exc))
            continue
        bad = (
            ((actual - expected).abs() > atol + rtol * expected.abs())
            .any(dim=1)
            .nonzero()
            .flatten()
            .tolist()
        )
        parts[name] = (not bad, f"wrong at {len(bad)} time steps, first t = {bad[:6]}")
    img = ref_diffusion.posterior_mean_variance(_TABLES, inp["x0_img"], inp["x_t_img"], inp["t_all"])
    image_parts = [
        _part(tensors, errors, f"posterior_img_{i}", expected, 1e-8, 1e-12) for i, expected in enumerate(img)
    ]
    wrong = [m for ok, m in image_parts if not ok]
    parts["image_shaped"] = (
        not wrong,
        "on x of shape (T, 1, 2, 2) (the coefficients must broadcast over every trailing dimension): "
        + "; ".join(wrong[:1]),
    )
    return _score_parts(parts)


def check_ddpm_step(ctx: Any) -> CheckResult:
    tensors, errors = _artifacts(ctx, "diffusion", "diffusion")
    inp = common.diffusion_inputs(ctx.seed)
    results = {}
    for t in common.DDPM_STEP_TS:
        expected = ref_diffusion.ddpm_step(
            _TABLES, common.toy_eps_model, inp["step_x"], t, inp["step_noise"]
        )
        results[t] = _part(tensors, errors, f"ddpm_step_{t}", expected, 1e-9, 1e-12)
    # Three equal parts: the interior steps, and each boundary (noise at t = 1, none at t = 0),
    # where Algorithm 2's 1-based "if t > 1" is most often carried over wrongly.
    interior = [t for t in common.DDPM_STEP_TS if t > 1]
    failed = [f"t={t}: {results[t][1]}" for t in interior if not results[t][0]]
    parts = {
        f"t in {interior}": (not failed, "; ".join(failed[:2])),
        "t=1 (σ₁² = β̃₁ > 0: noise is added)": results[1],
        "t=0 (no noise)": results[0],
    }
    return _score_parts(parts)


def check_ddim_step(ctx: Any) -> CheckResult:
    tensors, errors = _artifacts(ctx, "diffusion", "diffusion")
    inp = common.diffusion_inputs(ctx.seed)
    pairs = [*common.DDIM_PAIRS, tuple(int(v) for v in inp["extra_pair"])]
    parts = {}
    for t, t_prev in pairs:
        expected = ref_diffusion.ddim_step(_TABLES, inp["ddim_x"], inp["ddim_eps"], t, t_prev)
        parts[f"{t}->{t_prev}"] = _part(
            tensors, errors, f"ddim_step_{t}_{t_prev}", expected, 1e-9, 1e-12
        )
    return _score_parts(parts)


def check_ddpm_oracle(ctx: Any) -> CheckResult:
    """The docstring prescribes every noise draw, so the whole trajectory is compared; the
    sample's mean and standard deviation only say what kind of mistake it is."""
    tensors, errors = _artifacts(ctx, "oracle", "oracle")
    x_T = common.oracle_noise(ctx.seed)
    oracle = common.gaussian_oracle_eps(_TABLES.alphas_cumprod)
    with _one_thread():
        expected = ref_diffusion.ddpm_sample_from(
            _TABLES, oracle, x_T, common.gen(ctx.seed, "oracle-ddpm-noise")
        )
    actual = _get(tensors, errors, "ddpm")
    if actual.numel() != expected.numel():
        raise CheckFailed(f"expected {expected.numel()} samples, got {actual.numel()}")
    ok, err = _close(actual, expected, 1e-7, 1e-9)
    mean, std = float(actual.mean()), float(actual.std())
    metrics = {"mean": mean, "std": std}
    if not ok:
        in_law = (
            abs(mean - common.ORACLE_MEAN) <= ORACLE_DDPM_MEAN_TOL
            and abs(std - common.ORACLE_STD) <= ORACLE_DDPM_STD_TOL
        )
        why = (
            "the samples have the right mean and spread, so the steps or the noise differ from the "
            "docstring's: start from the given x_T, run every t = T−1, …, 0, draw "
            "torch.randn(x_T.shape, generator=generator, dtype=x_T.dtype) once per step t ≥ 1 and none at t = 0"
            if in_law
            else f"sample mean {mean:.4f} and standard deviation {std:.4f}, where the exact ε-predictor for "
            f"N({common.ORACLE_MEAN}, {common.ORACLE_STD}²) data gives about {float(expected.mean()):.4f} and "
            f"{float(expected.std()):.4f}"
        )
        raise CheckFailed(
            f"ancestral sampling from the given x_T differs from the expected trajectory (max error {err:.3g}): {why}"
        )
    return CheckResult(
        score=1.0,
        output=f"the ancestral trajectory matches; mean {mean:.4f}, std {std:.4f} (data: N(2, 0.5²))",
        metrics=metrics,
    )


def check_ddim_oracle(ctx: Any) -> CheckResult:
    tensors, errors = _artifacts(ctx, "oracle", "oracle")
    x_T = common.oracle_noise(ctx.seed)
    oracle = common.gaussian_oracle_eps(_TABLES.alphas_cumprod)
    parts: dict[str, tuple[bool, str]] = {}
    metrics: dict[str, float] = {}
    for steps, key in ((common.DDIM_STEPS, "ddim"), (common.DDIM_FEW_STEPS, f"ddim_{common.DDIM_FEW_STEPS}")):
        with _one_thread():
            expected = ref_diffusion.ddim_sample_from(_TABLES, oracle, x_T, steps)
        try:
            actual = _get(tensors, errors, key)
        except CheckFailed as exc:
            parts[f"{steps} steps"] = (False, str(exc))
            continue
        ok, err = _close(actual, expected, 1e-7, 1e-9)
        mean, std = float(actual.mean()), float(actual.std())
        if steps == common.DDIM_STEPS:
            metrics.update(mean=mean, std=std)
        parts[f"{steps} steps"] = (
            ok,
            f"DDIM (η = 0, {steps} steps) from the given x_T differs from the expected trajectory "
            f"(max error {err:.3g}); sample mean {mean:.4f}, std {std:.4f}; expected mean "
            f"{float(expected.mean()):.4f}, std {float(expected.std()):.4f}",
        )
    result = _score_parts(parts)
    result.metrics.update(metrics)
    return result


# ----------------------------------------------------------------------------- samples


def _held_out_images(ctx: Any) -> torch.Tensor:
    held = ctx.held_out()
    images = held[0] if isinstance(held, tuple | list) else held
    images = images if isinstance(images, torch.Tensor) else torch.from_numpy(np.array(images))
    return images.reshape(-1, 28, 28).to(torch.uint8)


def check_samples(ctx: Any) -> CheckResult:
    from course_models.data import load_fashion_mnist
    from course_models.features import extract_features, extract_features_cached

    info = ctx.load_json("samples", "samples_info")
    errors = info.get("errors", {}) if isinstance(info, dict) else {}
    if errors:
        raise CheckFailed(f"sampling failed: {errors.get('samples', errors)}")
    images = ctx.load_tensors("samples", "samples")["images"]
    if images.dtype != torch.uint8 or tuple(images.shape) != (common.NUM_SAMPLES, 28, 28):
        raise CheckFailed(
            f"expected {common.NUM_SAMPLES} uint8 images of 28×28, got {images.dtype} {tuple(images.shape)}"
        )
    try:
        ctx.add_artifact("samples", ctx.artifact_path("samples", "grid.png"))
    except Exception:  # the picture is a courtesy; its absence is not the student's fault
        pass
    held = _held_out_images(ctx)
    train = torch.from_numpy(np.array(load_fashion_mnist("train")[0]))
    copy_train, min_train = ref_metrics.near_copies(images, train, rms=NEAR_COPY_RMS)
    copy_held, min_held = ref_metrics.near_copies(images, held, rms=NEAR_COPY_RMS)
    copies = int((copy_train | copy_held).sum())
    metrics: dict[str, float] = {
        "near_copies": copies,
        "min_nn_rms_pooled": min(min_train, min_held),
    }
    if copies > NEAR_COPY_MAX_FRACTION * len(images):
        raise CheckFailed(
            f"{copies} of {len(images)} samples are copies or near-copies of training or held-out images "
            f"(RMS pixel distance to the nearest image below {NEAR_COPY_RMS}); samples must come from the sampler"
        )
    device = ctx.device if ctx.device == "cuda" and torch.cuda.is_available() else "cpu"
    held_feats = extract_features_cached(held, device=device)
    feats = extract_features(images, device=device)
    fid = ref_metrics.frechet_distance_from_features(feats, held_feats)
    kid_mean, kid_std = ref_metrics.kid(
        feats, held_feats, seed=common.derive_seed(ctx.seed, "kid") % 2**31
    )
    metrics.update({"fid": fid, "kid": kid_mean, "kid_std": kid_std})
    # Full marks up to the calibrated threshold, then linearly down to 0 at twice it.
    score = min(1.0, max(0.0, 2.0 - fid / SAMPLES_FID_PASS))
    output = (
        f"FID {fid:.1f} (full marks at ≤ {SAMPLES_FID_PASS:.0f}), KID {kid_mean:.1f} ± {kid_std:.1f} "
        f"on the course's Fashion-MNIST feature network (not comparable with Inception FIDs); "
        f"{copies} near-copies"
    )
    if score == 0:
        raise CheckFailed(output + ": the samples are far from the data")
    return CheckResult(score=score, output=output, metrics=metrics)


# ------------------------------------------------------------------------------ metrics


def check_frechet(ctx: Any) -> CheckResult:
    tensors, errors = _artifacts(ctx, "metrics", "metrics")
    inp = common.metrics_inputs(ctx.seed)
    stats = {k: common.covariance(inp[k]) for k in ("fd_a", "fd_b", "fd_c1", "fd_c2")}
    cases = {
        "fd_ab": (*stats["fd_a"], *stats["fd_b"]),
        "fd_ba": (*stats["fd_b"], *stats["fd_a"]),
        "fd_aa": (*stats["fd_a"], *stats["fd_a"]),
        "fd_rank_deficient": (*stats["fd_c1"], *stats["fd_c2"]),
        "fd_small_large_trace": (
            inp["fd_big_mu1"],
            inp["fd_big_sigma1"],
            inp["fd_big_mu1"] + 1e-3,
            inp["fd_big_sigma2"],
        ),
    }
    parts: dict[str, tuple[bool, str]] = {}
    metrics: dict[str, float] = {}
    for key, (m1, s1, m2, s2) in cases.items():
        if key == "fd_rank_deficient":
            # From the features (nuclear norm): no rounding noise from the null space.
            expected = ref_metrics.frechet_distance_from_features(inp["fd_c1"], inp["fd_c2"])
        else:
            expected = ref_metrics.frechet_distance(m1, s1, m2, s2)
        scale = float(torch.trace(s1) + torch.trace(s2))
        try:
            actual = float(_get(tensors, errors, key).reshape(-1)[0])
        except CheckFailed as exc:
            parts[key] = (False, str(exc))
            continue
        # Tolerance relative to the traces: below what float32 arithmetic can reach.
        tol = 1e-9 * scale + 1e-7 * abs(expected)
        metrics[key] = actual
        parts[key] = (
            abs(actual - expected) <= tol,
            f"{actual:.10g}, expected {expected:.10g} (tolerance {tol:.2g}; compute in float64)",
        )
    result = _score_parts(parts)
    result.metrics.update(metrics)
    return result


def check_kid(ctx: Any) -> CheckResult:
    tensors, errors = _artifacts(ctx, "metrics", "metrics")
    inp = common.metrics_inputs(ctx.seed)
    seed = int(inp["kid_seed"][0])
    cases = {
        "kid_near_copies": (inp["kid_x"], inp["kid_y"], 1, 1000, seed),
        "kid_subsets": (inp["kid_a"], inp["kid_b"], 20, 100, seed),
        "kid_same_subsets": (inp["kid_a"], inp["kid_a"].flip(0), 10, 50, seed + 1),
        "kid_unequal": (inp["kid_small_a"], inp["kid_small_b"], 5, 1000, seed + 2),
    }
    parts: dict[str, tuple[bool, str]] = {}
    for key, (x, y, n_sub, size, s) in cases.items():
        mean, std = ref_metrics.kid(x, y, subsets=n_sub, subset_size=size, seed=s)
        hint = " (the unbiased estimate may be negative: do not clip it)" if mean < 0 else ""
        ok_m = _part(
            tensors, errors, f"{key}_0", torch.tensor(mean, dtype=torch.float64), 1e-8, 1e-10, hint
        )
        ok_s = _part(
            tensors, errors, f"{key}_1", torch.tensor(std, dtype=torch.float64), 1e-6, 1e-10
        )
        if key == "kid_unequal" and not ok_m[0]:
            ok_m = (False, ok_m[1] + " (sets of 150 and 260 with subset_size 1000: m = min(subset_size, n1, n2))")
        parts[key] = (ok_m[0] and ok_s[0], ok_m[1] or ("std " + ok_s[1]))
    return _score_parts(parts)


def check_precision_recall(ctx: Any) -> CheckResult:
    tensors, errors = _artifacts(ctx, "metrics", "metrics")
    inp = common.metrics_inputs(ctx.seed)
    cases = {
        "pr_random": (inp["pr_real"], inp["pr_gen"]),
        "pr_one_of_two_modes": (inp["pr_real_modes"], inp["pr_gen_one_mode"]),
        "pr_exact_ties": (inp["pr_dup_real"], inp["pr_dup_gen"]),
    }
    parts: dict[str, tuple[bool, str]] = {}
    for key, (real, gen) in cases.items():
        p, r = ref_metrics.precision_recall(real, gen, k=3)
        tie_hint = " (points exactly on a radius count: <=, with exact distances)" if key == "pr_exact_ties" else ""
        try:
            got_p = float(_get(tensors, errors, f"{key}_0"))
            got_r = float(_get(tensors, errors, f"{key}_1"))
        except CheckFailed as exc:
            parts[key] = (False, str(exc))
            continue
        ok = abs(got_p - p) <= 1e-12 and abs(got_r - r) <= 1e-12
        hint = (
            " — precision and recall are swapped"
            if abs(got_p - r) <= 1e-12 and abs(got_r - p) <= 1e-12
            else ""
        )
        parts[key] = (
            ok,
            f"(precision, recall) = ({got_p:.4f}, {got_r:.4f}), expected ({p:.4f}, {r:.4f}){hint or tie_hint}",
        )
    return _score_parts(parts)
