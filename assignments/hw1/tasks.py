"""HW1 RUN phase: runs INSIDE the sandbox, next to the student's code.

Nothing here decides a grade. Each task calls the student's classes on inputs derived from the
job's secret seed and writes what they return (tensors, state dicts) as artifacts; checks.py
judges them on the trusted side. Exact-value tasks run the student's modules in float64, so
the comparisons are not blurred by TF32 or float32 rounding on any device.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import torch


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


def _state(module: torch.nn.Module, prefix: str) -> dict[str, torch.Tensor]:
    return {f"{prefix}.{k}": v.detach().clone() for k, v in module.state_dict().items()}


def _perturb(module: torch.nn.Module, g: torch.Generator) -> None:
    """Move every parameter away from its (possibly special) initial value."""
    with torch.no_grad():
        for _, p in sorted(module.named_parameters()):
            p.add_((C.PERTURB_SCALE * torch.randn(p.shape, generator=g, dtype=F64)).to(p))


def _error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]


def _gradients(
    module: torch.nn.Module,
    loss_fn,
    prefix: str,
    out: dict[str, torch.Tensor],
    errors: dict[str, str],
) -> None:
    """Export ``d loss / d p`` of every named parameter as ``prefix.<name>`` (zeros where no
    gradient arrives). An error in the forward or the backward is recorded in ``errors`` under
    ``prefix`` instead of ending the task: only the checks' gradient parts fail."""
    module.zero_grad(set_to_none=True)
    try:
        loss_fn().backward()
        grads = {
            f"{prefix}.{name}": p.grad.detach().clone()
            if p.grad is not None
            else torch.zeros_like(p.detach())
            for name, p in module.named_parameters()
        }
    except Exception as exc:  # noqa: BLE001 - the student's backward failed: a failed part
        errors[prefix] = _error(exc)
        return
    finally:
        module.zero_grad(set_to_none=True)
    out.update(grads)


def _fit(module: torch.nn.Module, loss_fn, steps: int, lr: float) -> None:
    """``steps`` full-batch Adam steps on ``loss_fn()``."""
    opt = _Adam(module.parameters(), lr=lr)
    for _ in range(steps):
        opt.zero_grad()
        loss_fn().backward()
        opt.step()


def _scale_last_layer(layer: torch.nn.Module, logits: torch.Tensor) -> None:
    """Scale a linear output layer so that the median |logit| becomes ``C.SAT_LOGIT``."""
    gain = C.SAT_LOGIT / logits.detach().abs().median().clamp_min(1e-12)
    with torch.no_grad():
        layer.weight.mul_(gain)
        layer.bias.mul_(gain)


class _Adam:
    """Adam (Kingma and Ba), as torch.optim.Adam with its defaults.

    torch.optim's first use imports torch._dynamo (over a second per forked task); this loop
    is the same arithmetic without that cost.
    """

    def __init__(
        self, params, lr: float, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8
    ) -> None:
        self.params = [p for p in params if p.requires_grad]
        self.lr, self.betas, self.eps, self.t = lr, betas, eps, 0
        self.m = [torch.zeros_like(p) for p in self.params]
        self.v = [torch.zeros_like(p) for p in self.params]

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self) -> None:
        self.t += 1
        b1, b2 = self.betas
        for p, m, v in zip(self.params, self.m, self.v, strict=False):
            if p.grad is None:
                continue
            m.mul_(b1).add_(p.grad, alpha=1 - b1)
            v.mul_(b2).addcmul_(p.grad, p.grad, value=1 - b2)
            denom = (v / (1 - b2**self.t)).sqrt_().add_(self.eps)
            p.addcdiv_(m, denom, value=-self.lr / (1 - b1**self.t))


# -------------------------------------------------------------------------------- autoregressive
def task_autoregressive(ctx) -> None:
    ar = ctx.import_student("autoregressive")
    dev, seed = ctx.device, ctx.seed
    out: dict[str, torch.Tensor] = {}
    errors: dict[str, str] = {}

    # MADE in a secret order, at init and after a few optimiser steps.
    order = C.made_order(seed)
    made = ar.MADE(C.MADE_D, list(C.MADE_HIDDEN), order=order.tolist(), seed=seed % 2**31).to(
        dev, F64
    )
    x = C.made_inputs(seed).to(dev)
    out.update(_state(made, "made_init"))
    out["made_init_logits"] = made(x)
    out["made_log_prob_all"] = made.log_prob(C.all_binary(C.MADE_D).to(dev))
    batch = C.made_train_batch(seed).to(dev)
    _fit(made, lambda: -made.log_prob(batch).mean(), C.MADE_TRAIN_STEPS, C.MADE_LR)
    out.update(_state(made, "made_trained"))
    out["made_trained_logits"] = made(x)

    # The same MADE with its output layer scaled: saturated logits (median |logit| 40).
    try:
        sat = ar.MADE(C.MADE_D, list(C.MADE_HIDDEN), order=order.tolist(), seed=seed % 2**31).to(
            dev, F64
        )
        xs = C.all_binary(C.MADE_D).to(dev)
        _scale_last_layer(sat.layers[-1], sat(xs))
        with torch.no_grad():
            out["made_sat_log_prob_all"] = sat.log_prob(xs)
        out.update(_state(sat, "made_sat"))
    except Exception as exc:  # noqa: BLE001 - fails only the saturated-logits part
        errors["made_sat"] = _error(exc)
    ctx.save_tensors("made", out)

    # A small MADE with sharp conditionals, to check the sampler's distribution.
    small = ar.MADE(C.SMALL_D, list(C.SMALL_HIDDEN), order=C.small_order(seed).tolist(), seed=1).to(
        dev, F64
    )
    with torch.no_grad():
        for p in small.parameters():
            p.mul_(C.SMALL_WEIGHT_GAIN)
    samples = small.sample(C.SMALL_N_SAMPLES, generator=C.generator(seed, "small", "sample"))
    ctx.save_tensors(
        "made_sample",
        {
            **_state(small, "small"),
            "logits": small(C.all_binary(C.SMALL_D).to(dev)),
            "samples": samples,
        },
    )

    # PixelCNN at init and after a few steps; exact likelihood on all 2x2 images.
    net = ar.PixelCNN(**C.PIXELCNN, seed=seed % 2**31).to(dev, F64)
    px = C.pixelcnn_inputs(seed).to(dev)
    out = _state(net, "init")
    out["init_logits"] = net(px)
    out["log_prob_2x2"] = net.log_prob(C.all_binary(4).view(16, 1, 2, 2).to(dev))
    batch = C.pixelcnn_train_batch(seed).to(dev)
    _gradients(net, lambda: -net.log_prob(batch).mean(), "init_grad", out, errors)
    _fit(net, lambda: -net.log_prob(batch).mean(), C.PIXELCNN_TRAIN_STEPS, 1e-2)
    out.update(_state(net, "trained"))
    out["trained_logits"] = net(px)
    ctx.save_tensors("pixelcnn", out)

    # The sampler, on a PixelCNN trained on 2x2 images whose pixels agree.
    try:
        pair = ar.PixelCNN(**C.PIXELCNN, seed=seed % 2**31).to(dev, F64)
        data = C.correlated_2x2(seed).to(dev)
        _fit(pair, lambda: -pair.log_prob(data).mean(), C.PIXELCNN_PAIR_STEPS, 2e-2)
        with torch.no_grad():
            samples = pair.sample(
                C.PIXELCNN_N_SAMPLES, 2, 2, generator=C.generator(seed, "pixelcnn", "sample")
            )
        ctx.save_tensors("pixelcnn_sample", {**_state(pair, "pair"), "samples": samples})
    except Exception as exc:  # noqa: BLE001 - the student's code may raise anything
        errors["pixelcnn_sample"] = _error(exc)
    ctx.save_json("errors", errors)


# -------------------------------------------------------------------------------- VAE
def task_vae(ctx) -> None:
    V = ctx.import_student("vae")
    dev, seed = ctx.device, ctx.seed
    inp = {k: v.to(dev) for k, v in C.vae_inputs(seed).items()}
    vae = V.VAE(C.VAE_D, list(C.VAE_HIDDEN), C.VAE_LATENT, seed=seed % 2**31).to(dev, F64)
    out = _state(vae, "vae")
    x = inp["x"]
    with torch.no_grad():
        mu, logvar = vae.encoder(x)
        out["enc_mu"], out["enc_logvar"] = mu, logvar
        out["dec_logits"] = vae.decoder(inp["z"])

    out["kl"] = V.kl_standard_normal(inp["kl_mu"], inp["kl_logvar"])

    r_mu = inp["r_mu"].clone().requires_grad_(True)
    r_logvar = inp["r_logvar"].clone().requires_grad_(True)
    z = V.reparameterize(r_mu, r_logvar, generator=C.generator(seed, "vae", "reparam"))
    out["reparam_z"] = z.detach()
    out["reparam_requires_grad"] = torch.tensor(bool(z.requires_grad))
    if z.requires_grad:
        z.pow(2).sum().backward()
    out["reparam_grad_mu"] = r_mu.grad if r_mu.grad is not None else torch.zeros_like(r_mu)
    out["reparam_grad_logvar"] = (
        r_logvar.grad if r_logvar.grad is not None else torch.zeros_like(r_logvar)
    )

    errors: dict[str, str] = {}
    elbo = vae.elbo(x, generator=C.generator(seed, "vae", "elbo"))
    out["elbo"] = elbo.detach()
    _gradients(vae, lambda: -elbo.mean(), "elbo_grad", out, errors)

    def iwae_loss():
        return -vae.iwae(x, C.IWAE_K, generator=C.generator(seed, "vae", "lw")).mean()

    _gradients(vae, iwae_loss, "iwae_grad", out, errors)

    # log p(x|z) of a decoder whose last layer is scaled: saturated logits (median |logit| 40).
    try:
        sat = V.VAE(C.VAE_D, list(C.VAE_HIDDEN), C.VAE_LATENT, seed=seed % 2**31).to(dev, F64)
        _scale_last_layer(sat.decoder.net[-1], sat.decoder(inp["z"]))
        with torch.no_grad():
            out["sat_log_px"] = sat.decoder.log_prob(x, inp["z"])
        out.update(_state(sat, "sat"))
    except Exception as exc:  # noqa: BLE001 - fails only the saturated-logits part
        errors["sat"] = _error(exc)

    with torch.no_grad():
        out["log_weights"] = vae.log_weights(x, C.IWAE_K, generator=C.generator(seed, "vae", "lw"))
        out["iwae"] = vae.iwae(x, C.IWAE_K, generator=C.generator(seed, "vae", "lw"))
        out["bound_lw64"] = V.iwae_bound(inp["lw64"])
        out["bound_lw32"] = V.iwae_bound(inp["lw32"])
        big = V.VAE(C.BIG_D, list(C.BIG_HIDDEN), C.BIG_LATENT, seed=1).to(dev, F64)
        for p in big.decoder.parameters():
            p.mul_(C.BIG_DECODER_GAIN)
        out.update(_state(big, "big"))
        out["big_log_weights"] = big.log_weights(
            inp["x_big"], C.BIG_K, generator=C.generator(seed, "vae", "big")
        )
        out["big_iwae"] = big.iwae(inp["x_big"], C.BIG_K, generator=C.generator(seed, "vae", "big"))
    ctx.save_tensors("vae", out)
    ctx.save_json("errors", errors)


# -------------------------------------------------------------------------------- flows
def task_flows(ctx) -> None:
    Fl = ctx.import_student("flows")
    dev, seed = ctx.device, ctx.seed
    inp = {k: v.to(dev) for k, v in C.flow_inputs(seed).items()}
    channels = C.FLOW_SHAPE[0]
    x = inp["x"]
    out: dict[str, torch.Tensor] = {}
    errors: dict[str, str] = {}

    couplings = {
        "cb0": Fl.AffineCoupling(channels, C.FLOW_HIDDEN, "checkerboard", 0),
        "cb1": Fl.AffineCoupling(channels, C.FLOW_HIDDEN, "checkerboard", 1),
        "ch1": Fl.AffineCoupling(channels, C.FLOW_HIDDEN, "channel", 1),
    }
    for name, layer in couplings.items():
        layer = layer.to(dev, F64)
        _perturb(layer, C.generator(seed, "flows", name))
        y, logdet = layer(x)
        out.update(_state(layer, name))
        out[f"{name}_y"], out[f"{name}_logdet"], out[f"{name}_x_rec"] = y, logdet, layer.inverse(y)
        _gradients(layer, lambda layer=layer: C.flow_nll(*layer(x)), f"{name}_grad", out, errors)
    ctx.save_tensors("coupling", out)

    # ActNorm: data-dependent init on the first training batch, then a second batch.
    out = {}
    an = Fl.ActNorm(channels).to(dev, F64)
    an.train()
    held = list(an.parameters())  # what an optimiser built before the first forward holds
    y_init, _ = an(inp["x_init"])
    out["y_init"] = y_init
    y, logdet = an(x)
    out.update(_state(an, "actnorm"))
    out["y"], out["logdet"], out["x_rec"] = y, logdet, an.inverse(y)
    _gradients(an, lambda: C.flow_nll(*an(x)), "actnorm_grad", out, errors)
    # A few SGD steps (training mode) on the parameters held since before the first forward.
    try:
        for _ in range(C.ACTNORM_SGD_STEPS):
            grads = torch.autograd.grad(C.flow_nll(*an(x)), held, allow_unused=True)
            with torch.no_grad():
                for p, g in zip(held, grads, strict=True):
                    if g is not None:
                        p.sub_(C.ACTNORM_SGD_LR * g)
        out.update(_state(an, "actnorm_sgd"))
    except Exception as exc:  # noqa: BLE001 - fails only the ActNorm check
        errors["actnorm_sgd"] = _error(exc)
    ctx.save_tensors("actnorm", out)

    # 1x1 convolution at non-orthogonal weights of both determinant signs.
    out = {}
    for name in ("w_neg", "w_pos"):
        conv = Fl.InvConv1x1(channels).to(dev, F64)
        with torch.no_grad():
            conv.weight.copy_(inp[name])
        y, logdet = conv(x)
        out.update(_state(conv, name))
        out[f"{name}_y"], out[f"{name}_logdet"], out[f"{name}_x_rec"] = y, logdet, conv.inverse(y)
    ctx.save_tensors("invconv", out)

    # A whole flow: ActNorm, 1x1 conv, two couplings; log_prob and sample.
    flow = Fl.Flow(
        [
            Fl.ActNorm(channels),
            Fl.InvConv1x1(channels),
            Fl.AffineCoupling(channels, C.FLOW_HIDDEN, "checkerboard", 0),
            Fl.AffineCoupling(channels, C.FLOW_HIDDEN, "channel", 1),
        ],
        C.FLOW_SHAPE,
    ).to(dev, F64)
    flow.train()
    flow(inp["x_init"])  # ActNorm initialisation
    _perturb(flow, C.generator(seed, "flows", "flow"))
    with torch.no_grad():
        flow.layers[1].weight.copy_(inp["w_neg"])
    flow.eval()
    z, logdet = flow(x)
    out = _state(flow, "flow")
    out["z"], out["logdet"], out["log_prob"] = z, logdet, flow.log_prob(x)
    out["samples"] = flow.sample(C.FLOW_BATCH, generator=C.generator(seed, "flows", "sample"))
    _gradients(flow, lambda: -flow.log_prob(x).mean(), "flow_grad", out, errors)
    ctx.save_tensors("flow", out)
    ctx.save_json("errors", errors)


# -------------------------------------------------------------------------------- training runs
def _training_data(ctx) -> torch.Tensor:
    images, _ = ctx.train_data()
    g = C.generator(ctx.seed, "train", "subset")
    idx = torch.randperm(images.shape[0], generator=g)[: C.TRAIN_SUBSET]
    return C.binarize(images[idx])


def _batches(data: torch.Tensor, steps: int, g: torch.Generator):
    for _ in range(steps):
        yield data[torch.randint(0, data.shape[0], (C.TRAIN_BATCH,), generator=g)]


def _single_thread(ctx) -> None:
    # These models are tiny: on a shared CPU one thread is faster than two contending ones.
    if ctx.device == "cpu":
        torch.set_num_threads(1)


def task_train_made(ctx) -> None:
    _single_thread(ctx)
    ar = ctx.import_student("autoregressive")
    data = _training_data(ctx).to(ctx.device)
    cfg = C.TRAIN_MADE
    made = ar.MADE(data.shape[1], list(cfg["hidden"]), seed=ctx.seed % 2**31).to(ctx.device)
    opt = _Adam(made.parameters(), lr=cfg["lr"])
    g = C.generator(ctx.seed, "train_made", "batches")
    for batch in _batches(data, cfg["steps"], g):
        opt.zero_grad()
        loss = -made.log_prob(batch).mean()
        loss.backward()
        opt.step()
    ctx.save_tensors("made", _state(made, "made"))
    ctx.save_json("log", {"final_train_loss": float(loss.detach())})


def task_train_vae(ctx) -> None:
    _single_thread(ctx)
    V = ctx.import_student("vae")
    data = _training_data(ctx).to(ctx.device)
    cfg = C.TRAIN_VAE
    vae = V.VAE(data.shape[1], list(cfg["hidden"]), cfg["latent"], seed=ctx.seed % 2**31).to(
        ctx.device
    )
    opt = _Adam(vae.parameters(), lr=cfg["lr"])
    g = C.generator(ctx.seed, "train_vae", "batches")
    eps = C.generator(ctx.seed, "train_vae", "eps")
    for batch in _batches(data, cfg["steps"], g):
        opt.zero_grad()
        loss = -vae.elbo(batch, generator=eps).mean()
        loss.backward()
        opt.step()
    ctx.save_tensors("vae", _state(vae, "vae"))
    ctx.save_json("log", {"final_train_loss": float(loss.detach())})

    # ELBO, IWAE_5 and IWAE_50 of the trained model on training images, in float64.
    vae = vae.to(torch.float64)
    x = data[: C.ORDER_BATCH].to(torch.float64)
    g = C.generator(ctx.seed, "train_vae", "order")
    out = {}
    with torch.no_grad():
        for k in C.ORDER_KS:
            name = "elbo" if k == 1 else f"iwae{k}"
            runs = [
                vae.elbo(x, generator=g) if k == 1 else vae.iwae(x, k, generator=g)
                for _ in range(C.ORDER_REPEATS)
            ]
            out[name] = torch.stack(runs)
    ctx.save_tensors("bounds", out)
