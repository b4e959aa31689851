"""HW1 VERIFY phase: trusted. Never imports or runs student code.

Every check reads the artifacts written by tasks.py as data, regenerates the inputs from the
job seed (common.py), loads the student's exported parameters into the REFERENCE architecture
(course_models/) and compares in float64. The student's code ran in float64 too, so exact
comparisons use tight tolerances (see CALIBRATION.md, "Tolerances"); only the training runs
are statistical, with thresholds measured over many seeds.
"""

from __future__ import annotations

import importlib.util
import math
import sys
from collections.abc import Callable
from pathlib import Path

import numpy
import torch

from course_models import autoregressive as ref_ar
from course_models import flows as ref_flows
from course_models import vae as ref_vae
from course_models.metrics import bits_per_dim
from grader.verify import CheckFailed, CheckResult


def _load_common():
    name = "hw1_common"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("common.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


C = _load_common()
F64 = torch.float64

# Exact comparisons (float64 on both sides; see CALIBRATION.md).
ATOL, RTOL = 1e-7, 1e-7
# Held-out thresholds, from CALIBRATION.md (reference over 200+ seeds).
MADE_BPD_PASS = 0.360
MADE_BPD_ZERO = 0.500
VAE_NLL_PASS = 43.0
VAE_NLL_ZERO = 60.0
# chi-square (15 degrees of freedom) of the sampler's counts: P(correct sampler > 45) < 1e-4
SAMPLE_CHI2_MAX = 45.0
# PixelCNN's sampler, rare cells pooled (at most 15 dof): P(correct sampler > 60) < 1e-6; the
# sampler that ignores the pixels drawn so far gives about 1e5.
PIXELCNN_SAMPLE_CHI2_MAX = 60.0


# -------------------------------------------------------------------------------- helpers
def _tensors(ctx, task: str, name: str) -> dict[str, torch.Tensor]:
    return {k: v.to("cpu") for k, v in ctx.load_tensors(task, name).items()}


def _get(t: dict[str, torch.Tensor], key: str) -> torch.Tensor:
    if key not in t:
        raise CheckFailed(f"the artifact has no {key!r}: the task did not finish that step")
    value = t[key]
    return value.to(F64) if value.is_floating_point() else value


def _load(
    model: torch.nn.Module, t: dict[str, torch.Tensor], prefix: str, what: str
) -> torch.nn.Module:
    """Load the exported state (keys ``prefix.<name>``) into a reference module, in float64."""
    state = {k[len(prefix) + 1 :]: v for k, v in t.items() if k.startswith(prefix + ".")}
    expected = model.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    if missing or unexpected:
        raise CheckFailed(
            f"{what}: the parameters and buffers do not follow the spec's names "
            f"(missing {missing[:6]}, unexpected {unexpected[:6]})"
        )
    for k, v in state.items():
        if tuple(v.shape) != tuple(expected[k].shape):
            raise CheckFailed(
                f"{what}: {k} has shape {tuple(v.shape)}, the spec says {tuple(expected[k].shape)}"
            )
        state[k] = v.to(expected[k].dtype) if not expected[k].is_floating_point() else v.to(F64)
    model = model.to(F64)
    model.load_state_dict(state)
    return model.eval()


def _close(actual: torch.Tensor, expected: torch.Tensor, what: str, scale: float = 1.0) -> None:
    """Raise unless ``|a - e| <= scale * (ATOL + RTOL |e|)`` elementwise."""
    if tuple(actual.shape) != tuple(expected.shape):
        raise CheckFailed(f"{what}: shape {tuple(actual.shape)}, expected {tuple(expected.shape)}")
    actual = actual.to(F64)
    bad = ~((actual - expected).abs() <= scale * (ATOL + RTOL * expected.abs()))
    if bad.any():
        i = tuple(int(j) for j in bad.nonzero()[0])
        raise CheckFailed(
            f"{what}: at index {i} got {float(actual[i]):.8g}, expected {float(expected[i]):.8g} "
            f"({int(bad.sum())} of {bad.numel()} entries differ)"
        )


def _jacobian_per_sample(
    f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor
) -> torch.Tensor:
    """``(B, out, in)``: Jacobian of ``f`` (batched) for each sample separately."""
    rows = []
    for xi in x:
        shape = xi.shape
        rows.append(
            torch.autograd.functional.jacobian(
                lambda v, shape=shape: f(v.view(1, *shape)).reshape(-1),
                xi.reshape(-1),
                vectorize=True,
            )
        )
    return torch.stack(rows)


def _parts(results: list[tuple[str, bool, str]], metrics: dict | None = None) -> CheckResult:
    """Partial credit: the fraction of named parts that passed; fail outright if none did."""
    passed = [name for name, ok, _ in results if ok]
    failed = [f"{name}: {msg}" for name, ok, msg in results if not ok]
    score = len(passed) / len(results)
    if not passed:
        raise CheckFailed("; ".join(failed))
    text = f"{len(passed)}/{len(results)} parts correct" + (
        "; " + "; ".join(failed) if failed else ""
    )
    return CheckResult(score=score, output=text, metrics=metrics or {})


def _part(name: str, fn: Callable[[], None]) -> tuple[str, bool, str]:
    try:
        fn()
        return name, True, ""
    except CheckFailed as exc:
        return name, False, str(exc)


def _errors(ctx, task: str) -> dict[str, str]:
    """What the task recorded as raised by the student's code (``errors.json``), as data."""
    try:
        value = ctx.load_json(task, "errors")
    except CheckFailed:
        return {}
    if not isinstance(value, dict):
        return {}
    return {str(k): str(v)[:500] for k, v in value.items()}


def _raised(errors: dict[str, str], key: str, what: str) -> None:
    if key in errors:
        raise CheckFailed(f"{what} raised {errors[key]}")


def _compare_gradients(
    t: dict[str, torch.Tensor],
    errors: dict[str, str],
    prefix: str,
    model: torch.nn.Module,
    loss_fn: Callable[[], torch.Tensor],
    what: str,
) -> None:
    """The exported gradients ``prefix.<name>`` against reference autograd of the same loss on
    the loaded state (float64; a parameter the loss does not reach has gradient 0)."""
    _raised(errors, prefix, f"the backward pass of {what}")
    model.zero_grad(set_to_none=True)
    with torch.enable_grad():
        loss_fn().backward()
    for name, p in model.named_parameters():
        expected = p.grad if p.grad is not None else torch.zeros_like(p)
        _close(_get(t, f"{prefix}.{name}"), expected, f"gradient of {what} w.r.t. {name}")
    model.zero_grad(set_to_none=True)


# -------------------------------------------------------------------------------- MADE
def _made(
    t: dict[str, torch.Tensor], prefix: str, d: int, hidden: list[int], what: str
) -> ref_ar.MADE:
    return _load(ref_ar.MADE(d, hidden), t, prefix, what)


def _made_leaks(
    made: ref_ar.MADE, order: torch.Tensor, x: torch.Tensor
) -> tuple[float, tuple[int, int] | None]:
    jac = _jacobian_per_sample(made, x).abs().sum(0)
    forbidden = ~C.allowed_connections(order)
    leak = jac * forbidden
    if leak.max() > 0:
        i, j = (int(v) for v in (leak == leak.max()).nonzero()[0])
        return float(leak.max()), (i, j)
    return 0.0, None


def _check_order(made: ref_ar.MADE, order: torch.Tensor) -> None:
    if not torch.equal(made.order.cpu(), order):
        raise CheckFailed(
            f"the MADE's order buffer is {made.order.tolist()}, but it was built with order={order.tolist()}"
        )


def check_made_forward(ctx) -> CheckResult:
    t = _tensors(ctx, "autoregressive", "made")
    made = _made(t, "made_init", C.MADE_D, C.MADE_HIDDEN, "MADE")
    x = C.made_inputs(ctx.seed)
    with torch.no_grad():
        _close(
            _get(t, "made_init_logits"),
            made(x),
            "MADE logits (your forward vs. masked layers of your weights)",
        )
    return CheckResult(
        score=1.0, output="forward equals the masked network of the exported weights and masks"
    )


def check_made_causal(ctx) -> CheckResult:
    t = _tensors(ctx, "autoregressive", "made")
    order = C.made_order(ctx.seed)
    made = _made(t, "made_init", C.MADE_D, C.MADE_HIDDEN, "MADE")
    _check_order(made, order)
    leak, where = _made_leaks(made, order, C.made_inputs(ctx.seed))
    if where is not None:
        i, j = where
        raise CheckFailed(
            f"output {i} depends on input {j} (|dJ| = {leak:.3g}), which is not before it in the order {order.tolist()}"
        )
    return CheckResult(
        score=1.0,
        output=f"causal in the order {order.tolist()} (Jacobian)",
        metrics={"max_leak": 0.0},
    )


def check_made_connectivity(ctx) -> CheckResult:
    t = _tensors(ctx, "autoregressive", "made")
    order = C.made_order(ctx.seed)
    made = _made(t, "made_init", C.MADE_D, C.MADE_HIDDEN, "MADE")
    paths = made.layers[0].mask
    for layer in made.layers[1:]:
        paths = layer.mask @ paths
    allowed = C.allowed_connections(order)
    if (paths[~allowed] != 0).any():
        raise CheckFailed("the masks allow a connection that the order forbids")
    present = (paths[allowed] > 0).to(F64)
    missing = int((present == 0).sum())
    if missing:
        i, j = (int(v) for v in ((paths == 0) & allowed).nonzero()[0])
        raise CheckFailed(
            f"the masks are causal but too strict: {missing} of {int(allowed.sum())} allowed connections "
            f"are missing, e.g. input {j} -> output {i}"
        )
    metrics = {"allowed_connections_present": float(present.mean())}
    return CheckResult(
        score=1.0, output="every allowed input -> output connection exists", metrics=metrics
    )


def check_made_after_training(ctx) -> CheckResult:
    t = _tensors(ctx, "autoregressive", "made")
    order = C.made_order(ctx.seed)
    made = _made(t, "made_trained", C.MADE_D, C.MADE_HIDDEN, "trained MADE")
    x = C.made_inputs(ctx.seed)
    _check_order(made, order)
    if torch.equal(_get(t, "made_trained.layers.0.weight"), _get(t, "made_init.layers.0.weight")):
        raise CheckFailed("the weights did not change in training: does log_prob carry gradients?")
    with torch.no_grad():
        _close(
            _get(t, "made_trained_logits"),
            made(x),
            "after training, your forward differs from the masked network of your weights "
            "(is the mask applied in every forward, not only at init?)",
        )
    leak, where = _made_leaks(made, order, x)
    if where is not None:
        raise CheckFailed(f"after training, output {where[0]} depends on input {where[1]}")
    return CheckResult(score=1.0, output="still causal and consistent after 5 optimiser steps")


def check_made_log_prob(ctx) -> CheckResult:
    t = _tensors(ctx, "autoregressive", "made")
    errors = _errors(ctx, "autoregressive")
    xs = C.all_binary(C.MADE_D)

    def exact():
        made = _made(t, "made_init", C.MADE_D, C.MADE_HIDDEN, "MADE")
        got = _get(t, "made_log_prob_all")
        with torch.no_grad():
            _close(got, made.log_prob(xs), "log_prob on binary inputs")
        total = float(torch.logsumexp(got, 0))
        if abs(total) > 1e-6:
            raise CheckFailed(
                f"sum of p(x) over all 2^{C.MADE_D} binary x is exp({total:.3g}), not 1"
            )

    def saturated():
        _raised(errors, "made_sat", "the MADE with saturated logits")
        made = _made(t, "made_sat", C.MADE_D, C.MADE_HIDDEN, "MADE (saturated)")
        with torch.no_grad():
            _close(
                _get(t, "made_sat_log_prob_all"),
                made.log_prob(xs),
                f"log_prob at saturated logits (median |logit| {C.SAT_LOGIT:.0f}; "
                "log(sigmoid) and log(1 - sigmoid) lose everything there: use the logits)",
            )

    return _parts(
        [
            _part(f"exact, sums to 1 over all 2^{C.MADE_D} inputs", exact),
            _part("exact at saturated logits", saturated),
        ]
    )


def check_made_sample(ctx) -> CheckResult:
    t = _tensors(ctx, "autoregressive", "made_sample")
    small = _made(t, "small", C.SMALL_D, C.SMALL_HIDDEN, "small MADE")
    _check_order(small, C.small_order(ctx.seed))
    xs = C.all_binary(C.SMALL_D)
    with torch.no_grad():
        _close(_get(t, "logits"), small(xs), "small MADE logits")
        p = torch.exp(small.log_prob(xs))
    s = _get(t, "samples")
    if tuple(s.shape) != (C.SMALL_N_SAMPLES, C.SMALL_D):
        raise CheckFailed(f"sample({C.SMALL_N_SAMPLES}) returned shape {tuple(s.shape)}")
    if not ((s == 0) | (s == 1)).all():
        raise CheckFailed("samples are not 0/1")
    chi2 = _chi_square(s, p)
    if chi2 > SAMPLE_CHI2_MAX:
        raise CheckFailed(
            f"the samples do not follow the model: chi-square {chi2:.1f} > {SAMPLE_CHI2_MAX}"
        )
    return CheckResult(score=1.0, output=f"chi-square {chi2:.1f} (15 dof)", metrics={"chi2": chi2})


def _chi_square(samples: torch.Tensor, p: torch.Tensor, pool_below: float = 0.0) -> float:
    """Pearson's statistic over the 2**d binary vectors. Cells expected fewer than
    ``pool_below`` times are pooled into one, so that a rare image drawn a few times cannot
    blow it up; fewer cells only make the fixed threshold more lenient for a correct sampler."""
    d = samples.shape[1]
    index = (samples.long() * (2 ** torch.arange(d - 1, -1, -1))).sum(1)
    counts = torch.bincount(index, minlength=2**d).to(F64)
    expected = p * samples.shape[0]
    rare = expected < pool_below
    if rare.any():
        counts = torch.cat([counts[~rare], counts[rare].sum().reshape(1)])
        expected = torch.cat([expected[~rare], expected[rare].sum().reshape(1)])
        if expected[-1] < pool_below and expected.numel() > 1:  # still rare: join the next rarest
            j = int(torch.argmin(expected[:-1]))
            counts[j] += counts[-1]
            expected[j] += expected[-1]
            counts, expected = counts[:-1], expected[:-1]
    return float(((counts - expected) ** 2 / expected.clamp_min(1e-12)).sum())


# -------------------------------------------------------------------------------- PixelCNN
def _pixelcnn(t: dict[str, torch.Tensor], prefix: str) -> ref_ar.PixelCNN:
    return _load(ref_ar.PixelCNN(**C.PIXELCNN), t, prefix, "PixelCNN")


def _pixelcnn_leak(net: ref_ar.PixelCNN, x: torch.Tensor) -> str | None:
    def f(v):
        return net(v)

    jac = _jacobian_per_sample(f, x).abs().sum(0)
    n = x[0].numel()
    idx = torch.arange(n)
    forbidden = idx[None, :] >= idx[:, None]
    leak = jac * forbidden
    if leak.max() > 0:
        i, j = (int(v) for v in (leak == leak.max()).nonzero()[0])
        w = C.PIXELCNN_SIZE
        kind = "itself" if i == j else f"pixel {divmod(j, w)}, which comes later in raster order"
        return f"the logit of pixel {divmod(i, w)} depends on {kind}"
    return None


def check_pixelcnn_forward(ctx) -> CheckResult:
    t = _tensors(ctx, "autoregressive", "pixelcnn")
    x = C.pixelcnn_inputs(ctx.seed)
    with torch.no_grad():
        _close(_get(t, "init_logits"), _pixelcnn(t, "init")(x), "PixelCNN logits")
        _close(
            _get(t, "trained_logits"),
            _pixelcnn(t, "trained")(x),
            "PixelCNN logits after training (is the mask applied in every forward?)",
        )
    return CheckResult(
        score=1.0, output="forward equals the masked network of the exported weights and masks"
    )


def _pixelcnn_mask_layers() -> list[tuple[int, int, int, str]]:
    """``(in, out, kernel, type)`` of every layer, as the PixelCNN docstring specifies."""
    c, n, k1, k = (C.PIXELCNN[key] for key in ("channels", "n_hidden", "first_kernel", "kernel"))
    return [(1, c, k1, "A"), *[(c, c, k, "B")] * n, (c, 1, 1, "B")]


def _check_pixelcnn_masks(t: dict[str, torch.Tensor], prefix: str) -> None:
    for i, (c_in, c_out, k, mask_type) in enumerate(_pixelcnn_mask_layers()):
        got = _get(t, f"{prefix}.layers.{i}.mask")
        expected = ref_ar.pixelcnn_mask(k, mask_type, c_in, c_out).to(F64)
        if tuple(got.shape) != tuple(expected.shape):
            raise CheckFailed(
                f"layer {i}: mask of shape {tuple(got.shape)}, expected {tuple(expected.shape)}"
            )
        bad = got != expected
        if bad.any():
            o, j = (int(v) for v in bad.nonzero()[0][:2])
            raise CheckFailed(
                f"layer {i} (type {mask_type}, {k}x{k}): the mask of output channel {o}, input "
                f"channel {j} is {got[o, j].to(torch.int64).tolist()}, the spec's type "
                f"{mask_type} mask is {expected[o, j].to(torch.int64).tolist()} (rows above the "
                f"centre, pixels left of the centre{', and the centre' if mask_type == 'B' else ''})"
            )


def check_pixelcnn_causal(ctx) -> CheckResult:
    t = _tensors(ctx, "autoregressive", "pixelcnn")
    x = C.pixelcnn_inputs(ctx.seed)[:2]

    def causal(prefix):
        def fn():
            leak = _pixelcnn_leak(_pixelcnn(t, prefix), x)
            if leak:
                raise CheckFailed(
                    f"{leak} ({'at init' if prefix == 'init' else 'after 3 optimiser steps'})"
                )

        return fn

    def masks():
        for prefix in ("init", "trained"):
            _check_pixelcnn_masks(t, prefix)

    return _parts(
        [
            _part("causal at init (Jacobian)", causal("init")),
            _part("causal after training (Jacobian)", causal("trained")),
            _part("type A/B masks as specified (connectivity)", masks),
        ]
    )


def check_pixelcnn_log_prob(ctx) -> CheckResult:
    t = _tensors(ctx, "autoregressive", "pixelcnn")
    errors = _errors(ctx, "autoregressive")
    net = _pixelcnn(t, "init")

    def exact():
        xs = C.all_binary(4).view(16, 1, 2, 2)
        got = _get(t, "log_prob_2x2")
        with torch.no_grad():
            _close(got, net.log_prob(xs), "log_prob of the 2x2 images")
        total = float(torch.logsumexp(got, 0))
        if abs(total) > 1e-6:
            raise CheckFailed(
                f"p(x) over all 16 binary 2x2 images sums to exp({total:.3g}), not 1"
            )

    def gradients():
        batch = C.pixelcnn_train_batch(ctx.seed)
        _compare_gradients(
            t, errors, "init_grad", net, lambda: -net.log_prob(batch).mean(), "-mean(log_prob)"
        )

    def sampler():
        if "pixelcnn_sample" in errors:
            raise CheckFailed(f"training or sampling raised {errors['pixelcnn_sample']}")
        st = _tensors(ctx, "autoregressive", "pixelcnn_sample")
        pair = _pixelcnn(st, "pair")
        with torch.no_grad():
            p = torch.exp(pair.log_prob(C.all_binary(4).view(16, 1, 2, 2)))
        s = _get(st, "samples")
        if tuple(s.shape) != (C.PIXELCNN_N_SAMPLES, 1, 2, 2):
            raise CheckFailed(f"sample({C.PIXELCNN_N_SAMPLES}, 2, 2) returned shape {tuple(s.shape)}")
        if not ((s == 0) | (s == 1)).all():
            raise CheckFailed("samples are not 0/1")
        chi2 = _chi_square(s.reshape(-1, 4), p, pool_below=5.0)
        if chi2 > PIXELCNN_SAMPLE_CHI2_MAX:
            raise CheckFailed(
                f"2x2 samples of a PixelCNN whose pixels depend on each other do not follow its "
                f"log_prob: chi-square {chi2:.1f} > {PIXELCNN_SAMPLE_CHI2_MAX}; draw pixel by pixel "
                "in raster order, each from the logits of a forward pass over the pixels drawn so far"
            )

    return _parts(
        [
            _part("exact, sums to 1 over all 2x2 images", exact),
            _part("gradients of -mean(log_prob)", gradients),
            _part("sample() follows log_prob", sampler),
        ]
    )


# -------------------------------------------------------------------------------- VAE
def _vae(
    t: dict[str, torch.Tensor], prefix: str, d: int, hidden: list[int], latent: int
) -> ref_vae.VAE:
    return _load(ref_vae.VAE(d, hidden, latent), t, prefix, "VAE")


def check_vae_kl(ctx) -> CheckResult:
    t = _tensors(ctx, "vae", "vae")
    inp = C.vae_inputs(ctx.seed)
    mu, logvar = inp["kl_mu"], inp["kl_logvar"]
    expected = (0.5 * (mu**2 + logvar.exp() - 1 - logvar)).sum(-1)
    _close(_get(t, "kl"), expected, "KL(q || N(0, I)) per example")
    return CheckResult(score=1.0, output="closed-form KL correct")


def check_vae_reparam(ctx) -> CheckResult:
    t = _tensors(ctx, "vae", "vae")
    inp = C.vae_inputs(ctx.seed)
    mu, logvar = inp["r_mu"], inp["r_logvar"]
    eps = torch.randn(mu.shape, generator=C.generator(ctx.seed, "vae", "reparam"), dtype=F64)
    z = mu + torch.exp(0.5 * logvar) * eps
    _close(_get(t, "reparam_z"), z, "z = mu + exp(logvar / 2) * eps")
    if not bool(_get(t, "reparam_requires_grad")):
        raise CheckFailed("z does not require grad: the sample is cut off from mu and logvar")
    _close(_get(t, "reparam_grad_mu"), 2 * z, "d sum(z^2) / d mu")
    _close(_get(t, "reparam_grad_logvar"), z * (z - mu), "d sum(z^2) / d logvar")
    return CheckResult(score=1.0, output="z is reparameterised; gradients reach mu and logvar")


def _reference_elbos(
    vae: ref_vae.VAE, x: torch.Tensor, eps: torch.Tensor
) -> dict[str, torch.Tensor]:
    """The ELBO with the given noise: closed-form KL, and the allowed Monte-Carlo KL."""
    mu, logvar = vae.encoder(x)
    z = mu + torch.exp(0.5 * logvar) * eps
    rec = vae.decoder.log_prob(x, z)
    mc_kl = ref_vae.gaussian_log_density(z, mu, logvar) - ref_vae.standard_normal_log_density(z)
    return {
        "closed-form KL": rec - ref_vae.kl_standard_normal(mu, logvar),
        "Monte-Carlo KL": rec - mc_kl,
    }


def check_vae_elbo(ctx) -> CheckResult:
    t = _tensors(ctx, "vae", "vae")
    raised = _errors(ctx, "vae")
    inp = C.vae_inputs(ctx.seed)
    vae = _vae(t, "vae", C.VAE_D, C.VAE_HIDDEN, C.VAE_LATENT)
    x = inp["x"]

    def networks():
        with torch.no_grad():
            mu, logvar = vae.encoder(x)
            _close(_get(t, "enc_mu"), mu, "encoder mean")
            _close(_get(t, "enc_logvar"), logvar, "encoder log-variance")
            _close(_get(t, "dec_logits"), vae.decoder(inp["z"]), "decoder logits")

    def elbo_and_gradients():
        eps = torch.randn(
            (C.VAE_BATCH, C.VAE_LATENT), generator=C.generator(ctx.seed, "vae", "elbo"), dtype=F64
        )
        got = _get(t, "elbo")
        errors = {}
        with torch.enable_grad():
            elbos = _reference_elbos(vae, x, eps)
        for variant, elbo in elbos.items():
            try:
                _close(got, elbo.detach(), f"ELBO ({variant})")
            except CheckFailed as exc:
                errors[variant] = str(exc)
                continue
            _compare_gradients(t, raised, "elbo_grad", vae, lambda e=elbo: -e.mean(), "-mean(ELBO)")
            return
        raise CheckFailed(errors["closed-form KL"])

    def saturated():
        _raised(raised, "sat", "the decoder with saturated logits")
        sat = _vae(t, "sat", C.VAE_D, C.VAE_HIDDEN, C.VAE_LATENT)
        with torch.no_grad():
            _close(
                _get(t, "sat_log_px"),
                sat.decoder.log_prob(x, inp["z"]),
                f"decoder log p(x|z) at saturated logits (median |logit| {C.SAT_LOGIT:.0f}; "
                "log(sigmoid) and log(1 - sigmoid) lose everything there: use the logits)",
            )

    return _parts(
        [
            _part("encoder and decoder outputs", networks),
            _part("ELBO and its gradients", elbo_and_gradients),
            _part("log p(x|z) at saturated logits", saturated),
        ]
    )


def _reference_log_weights(
    vae: ref_vae.VAE, x: torch.Tensor, k: int, g: torch.Generator
) -> torch.Tensor:
    with torch.no_grad():
        return vae.log_weights(x, k, generator=g)


def check_vae_iwae(ctx) -> CheckResult:
    t = _tensors(ctx, "vae", "vae")
    errors = _errors(ctx, "vae")
    vae = _vae(t, "vae", C.VAE_D, C.VAE_HIDDEN, C.VAE_LATENT)
    x = C.vae_inputs(ctx.seed)["x"]

    def values():
        lw = _reference_log_weights(vae, x, C.IWAE_K, C.generator(ctx.seed, "vae", "lw"))
        _close(_get(t, "log_weights"), lw, "log-weights log p(x, z_i) - log q(z_i | x)")
        _close(
            _get(t, "iwae"),
            torch.logsumexp(lw, 0) - math.log(C.IWAE_K),
            f"IWAE bound (k = {C.IWAE_K})",
        )

    def gradients():
        def loss():
            g = C.generator(ctx.seed, "vae", "lw")
            lw = vae.log_weights(x, C.IWAE_K, generator=g)
            return -(torch.logsumexp(lw, 0) - math.log(C.IWAE_K)).mean()

        _compare_gradients(t, errors, "iwae_grad", vae, loss, f"-mean(IWAE_{C.IWAE_K})")

    return _parts(
        [
            _part("log-weights and IWAE bound", values),
            _part(f"gradients of -mean(IWAE_{C.IWAE_K})", gradients),
        ]
    )


def bound_means(ctx) -> dict[str, float]:
    """Mean ELBO, IWAE_5 and IWAE_50 (over repeats and the batch) of the trained VAE."""
    t = _tensors(ctx, "train_vae", "bounds")
    means = {}
    for name in ("elbo", "iwae5", "iwae50"):
        v = _get(t, name)
        if v.shape != (C.ORDER_REPEATS, C.ORDER_BATCH) or not torch.isfinite(v).all():
            raise CheckFailed(
                f"{name}: expected finite values of shape ({C.ORDER_REPEATS}, {C.ORDER_BATCH})"
            )
        means[name] = float(v.mean())
    return means


def check_vae_bound_order(ctx) -> CheckResult:
    means = bound_means(ctx)
    text = (
        f"mean ELBO {means['elbo']:.4f}, IWAE_5 {means['iwae5']:.4f}, IWAE_50 {means['iwae50']:.4f}"
    )
    if not means["elbo"] <= means["iwae5"] <= means["iwae50"]:
        raise CheckFailed("expected ELBO <= IWAE_5 <= IWAE_50 on average: " + text)
    return CheckResult(score=1.0, output=text, metrics=means)


def check_vae_iwae_stable(ctx) -> CheckResult:
    t = _tensors(ctx, "vae", "vae")
    inp = C.vae_inputs(ctx.seed)
    results = []

    def bound(key, lw, scale):
        expected = torch.logsumexp(lw.to(F64), 0) - math.log(lw.shape[0])
        offsets = lw.to(F64).mean(0)
        _close(
            _get(t, key),
            expected,
            f"iwae_bound at log-weights between {float(offsets.min()):.0f} and "
            f"{float(offsets.max()):.0f}, one level per example (the maximum must be taken "
            "per example)",
            scale=scale,
        )

    results.append(_part("float64", lambda: bound("bound_lw64", inp["lw64"], 1.0)))
    # float32 input: allow float32 rounding (about 1e-7 relative of |300|)
    results.append(_part("float32", lambda: bound("bound_lw32", inp["lw32"], 1e3)))

    def big():
        vae = _vae(t, "big", C.BIG_D, C.BIG_HIDDEN, C.BIG_LATENT)
        lw = _reference_log_weights(vae, inp["x_big"], C.BIG_K, C.generator(ctx.seed, "vae", "big"))
        _close(_get(t, "big_log_weights"), lw, f"log-weights of the {C.BIG_D}-dimensional VAE")
        _close(
            _get(t, "big_iwae"),
            torch.logsumexp(lw, 0) - math.log(C.BIG_K),
            f"IWAE bound in {C.BIG_D} dimensions",
        )

    results.append(_part(f"{C.BIG_D}-dimensional VAE", big))
    return _parts(results)


# -------------------------------------------------------------------------------- flows
def _flow_parts(layer, x, y, logdet, x_rec, label: str) -> list[tuple[str, bool, str]]:
    def forward():
        with torch.no_grad():
            _close(y, layer(x)[0], f"{label} output")

    def det():
        if tuple(logdet.shape) != (x.shape[0],):
            raise CheckFailed(
                f"logdet has shape {tuple(logdet.shape)}, expected one value per example ({x.shape[0]},)"
            )
        jac = _jacobian_per_sample(lambda v: layer(v)[0], x)
        expected = torch.linalg.slogdet(jac)[1]
        if float(expected.abs().max()) < 1e-3:
            raise CheckFailed(
                "the exported parameters are at the identity: perturbation not applied"
            )
        _close(logdet, expected, f"{label} log|det J| per example (autograd Jacobian)")

    def inverse():
        _close(x_rec, x, f"{label} inverse(forward(x))", scale=10.0)

    return [
        _part(f"{label} forward", forward),
        _part(f"{label} log-det", det),
        _part(f"{label} inverse", inverse),
    ]


def _flow_gradient_part(
    t: dict[str, torch.Tensor],
    errors: dict[str, str],
    prefix: str,
    layer: torch.nn.Module,
    loss_fn: Callable[[], torch.Tensor],
    label: str,
) -> tuple[str, bool, str]:
    return _part(
        f"{label} gradients",
        lambda: _compare_gradients(t, errors, prefix, layer, loss_fn, f"{label}: -mean(log p(x))"),
    )


def check_flow_coupling(ctx) -> CheckResult:
    t = _tensors(ctx, "flows", "coupling")
    errors = _errors(ctx, "flows")
    x = C.flow_inputs(ctx.seed)["x"]
    results = []
    for name, mask_type, parity in (
        ("cb0", "checkerboard", 0),
        ("cb1", "checkerboard", 1),
        ("ch1", "channel", 1),
    ):
        layer = _load(
            ref_flows.AffineCoupling(C.FLOW_SHAPE[0], C.FLOW_HIDDEN, mask_type, parity),
            t,
            name,
            "AffineCoupling",
        )
        results += _flow_parts(
            layer,
            x,
            _get(t, f"{name}_y"),
            _get(t, f"{name}_logdet"),
            _get(t, f"{name}_x_rec"),
            f"{mask_type}/{parity}",
        )
        results.append(
            _flow_gradient_part(
                t,
                errors,
                f"{name}_grad",
                layer,
                lambda layer=layer: C.flow_nll(*layer(x)),
                f"{mask_type}/{parity}",
            )
        )
    return _parts(results)


def _normalised(y: torch.Tensor) -> tuple[bool, list[float], list[float]]:
    """Per-channel mean within 1e-6 of 0 and (biased) standard deviation within 2e-3 of 1."""
    mean = y.mean(dim=(0, 2, 3))
    std = y.std(dim=(0, 2, 3), unbiased=False)
    ok = bool((mean.abs() <= 1e-6).all() and ((std - 1).abs() <= 2e-3).all())
    return ok, [round(float(v), 4) for v in mean], [round(float(v), 4) for v in std]


def check_flow_actnorm(ctx) -> CheckResult:
    t = _tensors(ctx, "flows", "actnorm")
    errors = _errors(ctx, "flows")
    inp = C.flow_inputs(ctx.seed)
    ok, mean, std = _normalised(_get(t, "y_init"))
    if not ok:
        raise CheckFailed(
            f"after the data-dependent init, channel means {mean} and standard deviations {std} "
            "of the first batch's output should be 0 and 1"
        )
    layer = _load(ref_flows.ActNorm(C.FLOW_SHAPE[0]), t, "actnorm", "ActNorm")
    if not bool(layer.initialized):
        raise CheckFailed("the initialized buffer is 0 after the first forward")
    # The stored parameters (after a second training batch) are what the first batch implies:
    # y = x_init * exp(log_scale) + bias has channel means 0 and standard deviations 1.
    with torch.no_grad():
        ok, mean, std = _normalised(layer(inp["x_init"])[0])
    if not ok:
        raise CheckFailed(
            "the stored log_scale and bias, after a second training batch, do not normalise the "
            f"first batch (channel means {mean}, standard deviations {std}): the init must set "
            "y = x * exp(log_scale) + bias to mean 0 and std 1 on the first batch, and run only "
            "once (while initialized == 0)"
        )
    # SGD on the parameters an optimiser built before the first forward holds must move the
    # module's parameters. (Where the student's backward raised, the gradient part says so.)
    for name in ("bias", "log_scale") if "actnorm_sgd" not in errors else ():
        if torch.equal(_get(t, f"actnorm_sgd.{name}"), _get(t, f"actnorm.{name}")):
            raise CheckFailed(
                f"after {C.ACTNORM_SGD_STEPS} SGD steps on the parameters that an optimiser built "
                f"before the first forward holds, {name} did not change: the data-dependent init "
                "must write into the existing Parameters (copy_ under no_grad), not assign new "
                "ones, and the loss must reach them"
            )
    x = inp["x"]
    results = _flow_parts(layer, x, _get(t, "y"), _get(t, "logdet"), _get(t, "x_rec"), "ActNorm")
    layer.train()  # initialized == 1: training mode must not initialise again
    results.append(
        _flow_gradient_part(
            t, errors, "actnorm_grad", layer, lambda: C.flow_nll(*layer(x)), "ActNorm"
        )
    )
    return _parts(results)


def check_flow_invconv(ctx) -> CheckResult:
    t = _tensors(ctx, "flows", "invconv")
    inp = C.flow_inputs(ctx.seed)
    x = inp["x"]
    results = []
    for name in ("w_neg", "w_pos"):
        if not torch.equal(_get(t, f"{name}.weight"), inp[name]):
            raise CheckFailed("InvConv1x1.weight is not the (C, C) matrix the grader set")
        layer = _load(ref_flows.InvConv1x1(C.FLOW_SHAPE[0]), t, name, "InvConv1x1")
        sign = "det < 0" if name == "w_neg" else "det > 0"
        results += _flow_parts(
            layer,
            x,
            _get(t, f"{name}_y"),
            _get(t, f"{name}_logdet"),
            _get(t, f"{name}_x_rec"),
            f"1x1 conv ({sign})",
        )
    return _parts(results)


def _reference_flow() -> ref_flows.Flow:
    c, h = C.FLOW_SHAPE[0], C.FLOW_HIDDEN
    return ref_flows.Flow(
        [
            ref_flows.ActNorm(c),
            ref_flows.InvConv1x1(c),
            ref_flows.AffineCoupling(c, h, "checkerboard", 0),
            ref_flows.AffineCoupling(c, h, "channel", 1),
        ],
        C.FLOW_SHAPE,
    )


def check_flow_log_prob(ctx) -> CheckResult:
    t = _tensors(ctx, "flows", "flow")
    inp = C.flow_inputs(ctx.seed)
    flow = _load(_reference_flow(), t, "flow", "Flow")
    x = inp["x"]
    results = _flow_parts(
        flow, x, _get(t, "z"), _get(t, "logdet"), flow.inverse(flow(x)[0]).detach(), "Flow"
    )[:2]

    def log_prob():
        with torch.no_grad():
            _close(_get(t, "log_prob"), flow.log_prob(x), "Flow.log_prob")

    errors = _errors(ctx, "flows")

    def sample():
        z = torch.randn(
            (C.FLOW_BATCH, *C.FLOW_SHAPE),
            generator=C.generator(ctx.seed, "flows", "sample"),
            dtype=torch.float32,
        )
        with torch.no_grad():
            _close(
                _get(t, "samples"),
                flow.inverse(z.to(F64)),
                "Flow.sample = inverse of the seeded base draw",
                scale=10.0,
            )

    results += [
        _part("log_prob", log_prob),
        _part("sample", sample),
        _flow_gradient_part(
            t, errors, "flow_grad", flow, lambda: -flow.log_prob(x).mean(), "Flow"
        ),
    ]
    return _parts(results)


# -------------------------------------------------------------------------------- training runs
_HELD_OUT: dict[str, torch.Tensor] = {}


def _held_out(ctx) -> torch.Tensor:
    if "x" not in _HELD_OUT:
        data = ctx.held_out()
        images = (
            data[0]
            if isinstance(data, (tuple, list))
            else data["images"]
            if isinstance(data, dict)
            else data
        )
        if not isinstance(images, torch.Tensor):
            images = torch.from_numpy(numpy.array(images, copy=True))
        _HELD_OUT["x"] = C.binarize(images)
    return _HELD_OUT["x"]


def _graded(value: float, pass_at: float, zero_at: float) -> float:
    """1 at or below ``pass_at``, 0 at or above ``zero_at``, linear between."""
    if not math.isfinite(value):
        return 0.0
    return float(min(1.0, max(0.0, (zero_at - value) / (zero_at - pass_at))))


def check_made_heldout_bpd(ctx) -> CheckResult:
    t = _tensors(ctx, "train_made", "made")
    d = C.IMAGE_SIZE**2
    made = _made(t, "made", d, C.TRAIN_MADE["hidden"], "trained MADE")
    natural = torch.arange(d)
    _check_order(made, natural)
    paths = made.layers[0].mask
    for layer in made.layers[1:]:
        paths = layer.mask @ paths
    if (paths[~C.allowed_connections(natural)] != 0).any():
        raise CheckFailed(
            "the trained MADE's masks are not autoregressive: its likelihood is not a distribution"
        )
    x = _held_out(ctx)
    with torch.no_grad():
        nll = -made.log_prob(x.to(F64)).mean()
    bpd = float(bits_per_dim(float(nll), d, levels=1))
    score = _graded(bpd, MADE_BPD_PASS, MADE_BPD_ZERO)
    text = f"held-out {bpd:.4f} bits/dim on {len(x)} test images (full marks at <= {MADE_BPD_PASS})"
    if score == 0.0:
        raise CheckFailed(text)
    return CheckResult(score=score, output=text, metrics={"bpd": bpd})


def check_vae_heldout_nll(ctx) -> CheckResult:
    t = _tensors(ctx, "train_vae", "vae")
    d = C.IMAGE_SIZE**2
    vae = _vae(t, "vae", d, C.TRAIN_VAE["hidden"], C.TRAIN_VAE["latent"])
    x = _held_out(ctx).to(F64)
    g = C.generator(ctx.seed, "check", "vae_eps")
    with torch.no_grad():
        nll = -float(vae.elbo(x, generator=g).mean())
    score = _graded(nll, VAE_NLL_PASS, VAE_NLL_ZERO)
    text = f"held-out negative ELBO {nll:.3f} nats/image on {len(x)} test images (full marks at <= {VAE_NLL_PASS})"
    if score == 0.0:
        raise CheckFailed(text)
    return CheckResult(score=score, output=text, metrics={"neg_elbo_nats": nll})
