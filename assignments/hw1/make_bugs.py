"""Regenerate assignments/hw1/bugs/ from reference/: one planted mistake per folder.

    python assignments/hw1/make_bugs.py

Each entry: (file, exact text in the reference, replacement, description, checks it must fail).
The script fails loudly if a pattern no longer occurs exactly once in the reference.
"""

from __future__ import annotations

import shutil
from pathlib import Path

HERE = Path(__file__).resolve().parent
FILES = ("autoregressive.py", "vae.py", "flows.py")

# MADE and PixelCNN share the shape of their forward; their docstrings tell them apart.
MADE_LOGITS = "Logits ``(B, D)`` of the Bernoulli conditionals for inputs ``x`` of shape ``(B, D)``."
PIXELCNN_LOGITS = "Logits ``(B, 1, H, W)`` for binary images ``x`` of shape ``(B, 1, H, W)``."
RELU_BETWEEN_LAYERS = (
    "        for i, layer in enumerate(self.layers):\n            h = layer(h)\n"
    "            if i < len(self.layers) - 1:\n                h = torch.relu(h)\n"
)


def _forward(docstring: str, loop: str) -> str:
    return f'        """{docstring}"""\n        h = x\n{loop}        return h'


BUGS: dict[str, tuple[str, str, str, str, list[str]]] = {
    "made_output_sees_own_input": (
        "autoregressive.py",
        "masks.append((degrees[0][:, None] > degrees[-1][None, :]).float())",
        "masks.append((degrees[0][:, None] >= degrees[-1][None, :]).float())",
        "The output mask uses >= instead of >: output d can see input d through a hidden unit of the same degree.",
        [
            "made_causal",
            "made_connectivity",
            "made_after_training",
            "made_log_prob",
            "made_heldout_bpd",
        ],
    ),
    "made_masks_too_strict": (
        "autoregressive.py",
        "        (later[:, None] >= earlier[None, :]).float()",
        "        (later[:, None] > earlier[None, :]).float()",
        "Hidden masks use > instead of >=: still causal, but many allowed connections are missing.",
        ["made_connectivity"],
    ),
    "made_mask_only_at_init": (
        "autoregressive.py",
        "    def set_mask(self, mask: torch.Tensor) -> None:\n        self.mask.copy_(mask.to(self.mask))\n\n    def forward(self, x: torch.Tensor) -> torch.Tensor:\n        return F.linear(x, self.weight * self.mask, self.bias)",
        "    def set_mask(self, mask: torch.Tensor) -> None:\n        self.mask.copy_(mask.to(self.mask))\n        with torch.no_grad():\n            self.weight.mul_(self.mask)  # zero the forbidden weights once\n\n    def forward(self, x: torch.Tensor) -> torch.Tensor:\n        return F.linear(x, self.weight, self.bias)",
        "The mask zeroes the weights once at init instead of in every forward: training brings the forbidden connections back.",
        ["made_after_training", "made_heldout_bpd"],
    ),
    "made_sample_natural_order": (
        "autoregressive.py",
        "        for d in self.order.tolist():",
        "        for d in range(self.in_features):",
        "sample() draws the variables in the natural order 0..D-1 instead of the model's order.",
        ["made_sample"],
    ),
    "pixelcnn_type_a_includes_centre": (
        "autoregressive.py",
        '    mask[k // 2, : k // 2 + (mask_type == "B")] = 1',
        "    mask[k // 2, : k // 2 + 1] = 1",
        "The type A mask includes the centre pixel, like type B: each pixel's logit sees the pixel itself.",
        ["pixelcnn_causal", "pixelcnn_log_prob"],
    ),
    "made_relu_on_logits": (
        "autoregressive.py",
        _forward(MADE_LOGITS, RELU_BETWEEN_LAYERS),
        _forward(MADE_LOGITS, "        for layer in self.layers:\n            h = torch.relu(layer(h))  # the output layer too\n"),
        "MADE applies a ReLU after the output layer too: no logit can be negative, so no pixel is more likely 0 than 1.",
        ["made_forward", "made_after_training", "made_log_prob", "made_sample", "made_heldout_bpd"],
    ),
    "pixelcnn_no_relu": (
        "autoregressive.py",
        _forward(PIXELCNN_LOGITS, RELU_BETWEEN_LAYERS),
        _forward(PIXELCNN_LOGITS, "        for layer in self.layers:\n            h = layer(h)\n"),
        "PixelCNN forgets the ReLU between its masked convolutions: still causal, but one linear map.",
        ["pixelcnn_forward", "pixelcnn_log_prob"],
    ),
    "vae_kl_mean_over_latents": (
        "vae.py",
        "    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(-1)",
        "    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).mean(-1)",
        "The KL is averaged over the latent dimensions instead of summed: too small by the latent size.",
        ["vae_kl", "vae_elbo", "vae_bound_order", "vae_heldout_nll"],
    ),
    "iwae_without_log_k": (
        "vae.py",
        "    return torch.logsumexp(log_w, dim=0) - math.log(log_w.shape[0])",
        "    return torch.logsumexp(log_w, dim=0)",
        "The IWAE bound forgets the − log k: log of the sum of the weights, not of their mean.",
        ["vae_iwae", "vae_iwae_stable"],
    ),
    "vae_kl_missing": (
        "vae.py",
        "        return self.decoder.log_prob(x, z) - kl_standard_normal(mu, logvar)",
        "        return self.decoder.log_prob(x, z)",
        "The ELBO leaves out the KL term (a plain autoencoder with noise).",
        ["vae_elbo", "vae_bound_order", "vae_heldout_nll"],
    ),
    "vae_kl_wrong_sign": (
        "vae.py",
        "        return self.decoder.log_prob(x, z) - kl_standard_normal(mu, logvar)",
        "        return self.decoder.log_prob(x, z) + kl_standard_normal(mu, logvar)",
        "The ELBO adds the KL term instead of subtracting it.",
        ["vae_elbo", "vae_bound_order", "vae_heldout_nll"],
    ),
    "vae_sample_detached": (
        "vae.py",
        "    eps = torch.randn(mu.shape, generator=generator, dtype=mu.dtype).to(mu.device)\n    return mu + torch.exp(0.5 * logvar) * eps",
        "    eps = torch.randn(mu.shape, generator=generator, dtype=mu.dtype).to(mu.device)\n    with torch.no_grad():\n        z = mu + torch.exp(0.5 * logvar) * eps\n    return z",
        "z is sampled without the reparameterisation path (under no_grad): no gradient reaches the encoder through z.",
        ["vae_reparam", "vae_elbo", "vae_heldout_nll"],
    ),
    "iwae_naive_log_mean_exp": (
        "vae.py",
        "    return torch.logsumexp(log_w, dim=0) - math.log(log_w.shape[0])",
        "    return torch.log(torch.exp(log_w).mean(dim=0))",
        "The IWAE bound as log(mean(exp(log w))): exact on small models, -inf once log-weights drop below about -745.",
        ["vae_iwae_stable"],
    ),
    "coupling_logdet_wrong_sign": (
        "flows.py",
        "        return y, s.flatten(1).sum(1)",
        "        return y, -s.flatten(1).sum(1)",
        "The coupling's log-determinant has the wrong sign (the inverse's).",
        ["flow_coupling", "flow_log_prob"],
    ),
    "coupling_logdet_summed_over_batch": (
        "flows.py",
        "        return y, s.flatten(1).sum(1)",
        "        return y, s.sum()",
        "The coupling's log-determinant is summed over the whole batch (one scalar) instead of per example.",
        ["flow_coupling", "flow_log_prob"],
    ),
    "invconv_logdet_missing_hw": (
        "flows.py",
        "        logdet = (h * w * torch.linalg.slogdet(self.weight)[1]).expand(x.shape[0])",
        "        logdet = torch.linalg.slogdet(self.weight)[1].expand(x.shape[0])",
        "The 1x1 convolution's log-determinant misses the H*W factor (it acts at every pixel).",
        ["flow_invconv", "flow_log_prob"],
    ),
    "invconv_transpose_as_inverse": (
        "flows.py",
        '        return torch.einsum("ij,bjhw->bihw", torch.linalg.inv(self.weight), y)',
        '        return torch.einsum("ij,bjhw->bihw", self.weight.t(), y)',
        "The 1x1 convolution's inverse uses the transpose, right only while the weight is orthogonal.",
        ["flow_invconv", "flow_log_prob"],
    ),
    "invconv_log_of_det": (
        "flows.py",
        "        logdet = (h * w * torch.linalg.slogdet(self.weight)[1]).expand(x.shape[0])",
        "        logdet = (h * w * torch.log(torch.det(self.weight))).expand(x.shape[0])",
        "log(det W) instead of log|det W|: NaN as soon as det W < 0.",
        ["flow_invconv", "flow_log_prob"],
    ),
    "actnorm_no_data_init": (
        "flows.py",
        "        if self.training and not bool(self.initialized):\n            self.initialize(x)",
        "        self.initialized.fill_(1)",
        "ActNorm skips the data-dependent initialisation (stays at scale 1, bias 0).",
        ["flow_actnorm"],
    ),
}


def main() -> None:
    for name, (filename, old, new, description, fails) in BUGS.items():
        folder = HERE / "bugs" / name
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        for f in FILES:
            shutil.copyfile(HERE / "reference" / f, folder / f)
        text = (folder / filename).read_text()
        if text.count(old) != 1:
            raise SystemExit(
                f"{name}: the pattern occurs {text.count(old)} times in reference/{filename}"
            )
        (folder / filename).write_text(text.replace(old, new))
        quoted = ", ".join(f'"{c}"' for c in fails)
        (folder / "BUG.toml").write_text(f'description = "{description}"\nfails = [{quoted}]\n')
    print(f"{len(BUGS)} bugs written")


if __name__ == "__main__":
    main()
