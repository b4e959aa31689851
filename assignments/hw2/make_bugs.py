"""Regenerate bugs/<name>/ from reference/: each a copy of the reference with one planted
mistake (an exact text replacement, asserted to match once) and its BUG.toml.

    python assignments/hw2/make_bugs.py

Run it after editing the reference, so that every bug stays "the solution minus one thing".
"""

import json
import shutil
from pathlib import Path

hw = Path(__file__).resolve().parent
bugs = {
    "gp_on_real": (
        "gan.py",
        "x_hat = (e * real.detach() + (1 - e) * fake.detach()).requires_grad_(True)",
        "x_hat = real.detach().clone().requires_grad_(True)",
        "The gradient penalty is evaluated at the real images instead of the interpolates x̂.",
        ["gradient_penalty", "gradient_penalty_graph"],
    ),
    "gp_batch_norm": (
        "gan.py",
        "norms = grad.flatten(1).norm(2, dim=1)\n    return lam * ((norms - 1) ** 2).mean()",
        "norm = grad.norm(2)  # one norm for the whole batch\n    return lam * (norm - 1) ** 2",
        "The gradient norm is taken over the whole batch instead of per sample.",
        ["gradient_penalty", "gradient_penalty_graph"],
    ),
    "gp_no_create_graph": (
        "gan.py",
        "(grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)",
        "(grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat)",
        "The input gradient is computed without create_graph=True, so the penalty cannot train the critic.",
        ["gradient_penalty_graph"],
    ),
    "saturating_generator_loss": (
        "gan.py",
        "return F.softplus(-fake_logits).mean()",
        "return -F.softplus(fake_logits).mean()  # minimises log(1 - D(G(z)))",
        "The generator minimises log(1 − D(G(z))) (the saturating loss) instead of −log D(G(z)).",
        ["gan_losses"],
    ),
    "unstable_bce": (
        "gan.py",
        "def generator_loss(fake_logits: torch.Tensor) -> torch.Tensor:\n    return F.softplus(-fake_logits).mean()\n\n\ndef discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:\n    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()",
        "def generator_loss(fake_logits: torch.Tensor) -> torch.Tensor:\n    return F.binary_cross_entropy(torch.sigmoid(fake_logits), torch.ones_like(fake_logits))\n\n\ndef discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:\n    return F.binary_cross_entropy(torch.sigmoid(real_logits), torch.ones_like(real_logits)) + F.binary_cross_entropy(\n        torch.sigmoid(fake_logits), torch.zeros_like(fake_logits)\n    )",
        "The losses go through sigmoid then binary_cross_entropy, which clamps log at −100: wrong values and zero gradients for large logits.",
        ["gan_losses"],
    ),
    "discriminator_batchnorm": (
        "gan.py",
        "            nn.Conv2d(width, 2 * width, 4, stride=2, padding=1),\n            nn.LeakyReLU(0.2),",
        "            nn.Conv2d(width, 2 * width, 4, stride=2, padding=1),\n            nn.BatchNorm2d(2 * width),\n            nn.LeakyReLU(0.2),",
        "The discriminator uses batch normalisation, so one image's logit depends on the rest of the batch (invalid for a WGAN-GP critic).",
        ["gan_architecture"],
    ),
    "tables_float32": (
        "diffusion.py",
        "def alphas_cumprod(betas: torch.Tensor) -> torch.Tensor:\n    return torch.cumprod(1 - betas.to(torch.float64), dim=0)",
        "def alphas_cumprod(betas: torch.Tensor) -> torch.Tensor:\n    return torch.cumprod(1 - betas.float(), dim=0)",
        "ᾱ_t is accumulated in float32 (about 1e-5 relative error at t = 999).",
        ["schedule", "q_sample", "ddpm_loss", "posterior", "ddpm_step", "ddim_step", "ddpm_oracle", "ddim_oracle"],
    ),
    "ddpm_alpha_for_alphabar": (
        "diffusion.py",
        "mean = (x_t - (b[t] / (1 - ac[t]).sqrt()).item() * eps) / (1 - b[t]).sqrt().item()",
        "mean = (x_t - (b[t] / (1 - (1 - b[t])).sqrt()).item() * eps) / (1 - b[t]).sqrt().item()",
        "The ancestral step uses α_t where ᾱ_t belongs: β_t / sqrt(1 − α_t) instead of β_t / sqrt(1 − ᾱ_t).",
        ["ddpm_step", "ddpm_oracle"],
    ),
    "ddim_swapped_sqrt": (
        "diffusion.py",
        "    x0 = (x_t - (1 - a_t) ** 0.5 * eps) / a_t**0.5\n    return a_prev**0.5 * x0 + (1 - a_prev) ** 0.5 * eps",
        "    x0 = (x_t - (1 - a_prev) ** 0.5 * eps) / a_t**0.5\n    return a_prev**0.5 * x0 + (1 - a_t) ** 0.5 * eps",
        "The two sqrt(1 − ᾱ) terms of the DDIM step are swapped (nearly right at 999 -> 979, far off mid-range).",
        ["ddim_step", "ddim_oracle", "samples"],
    ),
    "posterior_t0_wraps": (
        "diffusion.py",
        "    ac_prev = torch.cat([torch.ones(1, dtype=torch.float64), ac[:-1]])\n    var = b * (1 - ac_prev) / (1 - ac)",
        "    ac_prev = ac[torch.arange(len(ac)) - 1]  # at t = 0 this wraps around to ᾱ_{T-1}\n    var = b * (1 - ac_prev) / (1 - ac)",
        "ᾱ_{t−1} is read as alphas_cumprod[t − 1], which at t = 0 wraps around to ᾱ_{T−1}: posterior mean and variance wrong at t = 0.",
        ["posterior"],
    ),
    "posterior_logvar_unclipped": (
        "diffusion.py",
        "logvar = torch.log(torch.cat([var[1:2], var[1:]]))",
        "logvar = torch.log(var.clamp_min(1e-20))",
        "The posterior log-variance is not clipped at t = 0 (log of a clamped 0 instead of log β̃_1).",
        ["posterior"],
    ),
    "ddpm_loss_predicts_x0": (
        "diffusion.py",
        "return F.mse_loss(eps_model(q_sample(x0, t, noise, betas), t), noise)",
        "return F.mse_loss(eps_model(q_sample(x0, t, noise, betas), t), x0)",
        "The loss regresses the network output on x0 instead of the noise ε.",
        ["ddpm_loss"],
    ),
    "frechet_no_trace": (
        "metrics.py",
        "return float(diff @ diff + np.trace(s1) + np.trace(s2) - 2 * tr_covmean)",
        "return float(diff @ diff - 2 * tr_covmean)",
        "The Fréchet distance leaves out the trace terms tr Σ1 + tr Σ2.",
        ["frechet"],
    ),
    "frechet_float32": (
        "metrics.py",
        "    mu1, mu2 = np.asarray(mu1, np.float64), np.asarray(mu2, np.float64)\n    s1, s2 = np.asarray(sigma1, np.float64), np.asarray(sigma2, np.float64)",
        "    mu1, mu2 = np.asarray(mu1, np.float32), np.asarray(mu2, np.float32)\n    s1, s2 = np.asarray(sigma1, np.float32), np.asarray(sigma2, np.float32)",
        "The Fréchet distance is computed in float32: fine on typical statistics, wrong when the distance is small next to the traces.",
        ["frechet"],
    ),
    "kid_clipped": (
        "metrics.py",
        "    return float(np.mean(values)), float(np.std(values))",
        "    values = [max(v, 0.0) for v in values]\n    return float(np.mean(values)), float(np.std(values))",
        "Each subset's MMD² estimate is clipped at 0 (the unbiased estimate may be negative).",
        ["kid"],
    ),
    "kid_biased": (
        "metrics.py",
        "        (kxx.sum() - np.trace(kxx)) / (m * (m - 1))\n        + (kyy.sum() - np.trace(kyy)) / (n * (n - 1))",
        "        kxx.sum() / (m * m)\n        + kyy.sum() / (n * n)",
        "KID uses the biased MMD² estimator (diagonal terms kept).",
        ["kid"],
    ),
    "pr_swapped": (
        "metrics.py",
        "    return float(precision), float(recall)",
        "    return float(recall), float(precision)",
        "Precision and recall are swapped.",
        ["precision_recall"],
    ),
    "pr_strict_less": (
        "metrics.py",
        "    precision = (_dist(gen, real) <= real_radii[None, :]).any(dim=1).double().mean()\n"
        "    recall = (_dist(real, gen) <= gen_radii[None, :]).any(dim=1).double().mean()",
        "    precision = (_dist(gen, real) < real_radii[None, :]).any(dim=1).double().mean()\n"
        "    recall = (_dist(real, gen) < gen_radii[None, :]).any(dim=1).double().mean()",
        "Precision and recall count points strictly inside a radius (<), so a point exactly on it is left out.",
        ["precision_recall"],
    ),
    "kid_uncapped_subset": (
        "metrics.py",
        "        i1 = torch.randperm(len(f1), generator=g)[:m].numpy()\n"
        "        i2 = torch.randperm(len(f2), generator=g)[:m].numpy()",
        "        i1 = torch.randperm(len(f1), generator=g)[:subset_size].numpy()\n"
        "        i2 = torch.randperm(len(f2), generator=g)[:subset_size].numpy()",
        "KID subsets are cut at subset_size, not at min(subset_size, n1, n2): subsets of unequal size.",
        ["kid"],
    ),
    "generator_sigmoid": (
        "gan.py",
        "            nn.Tanh(),",
        "            nn.Sigmoid(),",
        "The generator ends with a sigmoid: images in [0, 1] where the data lives in [-1, 1].",
        ["gan_architecture"],
    ),
    "discriminator_sigmoid": (
        "gan.py",
        "            nn.Linear(2 * width * 7 * 7, 1),\n        )",
        "            nn.Linear(2 * width * 7 * 7, 1),\n            nn.Sigmoid(),\n        )",
        "The discriminator returns probabilities, not logits, into losses that apply the log-sigmoid themselves.",
        ["gan_architecture"],
    ),
    "ddpm_sample_skips_t0": (
        "diffusion.py",
        "    for t in reversed(range(betas.numel())):",
        "    for t in reversed(range(1, betas.numel())):",
        "Ancestral sampling stops at t = 1: the last, noiseless step t = 0 is never taken.",
        ["ddpm_oracle"],
    ),
    "ddpm_sample_global_rng": (
        "diffusion.py",
        "            noise = torch.randn(x.shape, generator=generator, dtype=x.dtype).to(x.device)",
        "            noise = torch.randn_like(x)",
        "Ancestral sampling draws its noise from the global generator, ignoring the one it is given.",
        ["ddpm_oracle"],
    ),
    "ddpm_step_no_noise_t1": (
        "diffusion.py",
        "    if t == 0:\n        return mean",
        "    if t <= 1:  # Algorithm 2: z = 0 at the last step\n        return mean",
        "Algorithm 2's 1-based 'z = 0 if t = 1' carried into 0-based code: no noise at t = 1 either.",
        ["ddpm_step", "ddpm_oracle"],
    ),
    "gp_one_sided": (
        "gan.py",
        "    return lam * ((norms - 1) ** 2).mean()",
        "    return lam * ((norms - 1).clamp(min=0) ** 2).mean()",
        "A one-sided gradient penalty: gradient norms below 1 are not penalised.",
        ["gradient_penalty"],  # gradient_penalty_graph catches it too on about 60 % of seeds
    ),
    "gp_images_only": (
        "gan.py",
        "    e = eps.reshape(-1, *([1] * (real.ndim - 1))).to(real.dtype)",
        "    e = eps.view(-1, 1, 1, 1).to(real.dtype)",
        "ε is shaped for images (N, C, H, W) only: on (N, D) inputs the interpolates broadcast to (N, 1, N, D): wrong values, no error.",
        ["gradient_penalty"],
    ),
    "posterior_2d_only": (
        "diffusion.py",
        "    mean = _at(coef_x0, t, x_t) * x0 + _at(coef_xt, t, x_t) * x_t\n"
        "    return mean, _at(var, t, x_t).expand_as(x_t), _at(logvar, t, x_t).expand_as(x_t)",
        "    t = t.long()\n"
        "    mean = coef_x0[t][:, None].to(x_t.dtype) * x0 + coef_xt[t][:, None].to(x_t.dtype) * x_t\n"
        "    return mean, var[t][:, None].to(x_t.dtype).expand_as(x_t), logvar[t][:, None].to(x_t.dtype).expand_as(x_t)",
        "The posterior's coefficients are indexed with [:, None]: right for (N, D) inputs, a crash on images.",
        ["posterior"],
    ),
    "ddim_steps_ignored": (
        "diffusion.py",
        "torch.linspace(T - 1, 0, steps, dtype=torch.float64)",
        "torch.linspace(T - 1, 0, 50, dtype=torch.float64)",
        "DDIM ignores its steps argument and always takes 50 steps.",
        ["ddim_oracle"],
    ),
}


def main() -> None:
    for name, (fname, old, new, desc, fails) in bugs.items():
        d = hw / "bugs" / name
        if d.exists():
            shutil.rmtree(d)
        shutil.copytree(hw / "reference", d, ignore=shutil.ignore_patterns("__pycache__"))
        p = d / fname
        s = p.read_text()
        assert s.count(old) == 1, (name, old)
        p.write_text(s.replace(old, new))
        (d / "BUG.toml").write_text(
            f"description = {json.dumps(desc, ensure_ascii=False)}\nfails = {json.dumps(fails)}\n"
        )
    print(f"wrote {len(bugs)} bugs")


if __name__ == "__main__":
    main()
