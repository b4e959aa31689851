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


ACTNORM_INIT_AND_FORWARD = (
    "        self.bias.copy_(-mean * torch.exp(self.log_scale))\n"
    "        self.initialized.fill_(1)\n\n"
    "    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:\n"
    "        if self.training and not bool(self.initialized):\n"
    "            self.initialize(x)\n"
    "        _, _, h, w = x.shape\n"
    "        y = x * torch.exp(self.log_scale) + self.bias\n"
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
            # the sampler cannot follow exp(log_prob) of a non-autoregressive model
            "made_sample",
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
    "pixelcnn_sample_one_pass": (
        "autoregressive.py",
        "        for i in range(height):\n            for j in range(width):\n"
        "                p = torch.sigmoid(self(x)[:, 0, i, j])",
        "        probs = torch.sigmoid(self(x))  # one forward pass for the whole image\n"
        "        for i in range(height):\n            for j in range(width):\n"
        "                p = probs[:, 0, i, j]",
        "PixelCNN.sample computes the logits once, on the empty image: every pixel is drawn "
        "without the pixels before it.",
        ["pixelcnn_log_prob"],
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
    # ---- caught since the red-team round of HW1 (one realistic mistake each)
    "iwae_global_max": (
        "vae.py",
        "    return torch.logsumexp(log_w, dim=0) - math.log(log_w.shape[0])",
        "    m = log_w.max()  # one max for the whole tensor instead of one per example\n"
        "    return m + torch.log(torch.exp(log_w - m).mean(0))",
        "The IWAE bound shifts by one global max instead of a per-example max: -inf for every example far below the best one.",
        ["vae_iwae_stable"],
    ),
    "made_sample_inverse_order": (
        "autoregressive.py",
        "        for d in self.order.tolist():",
        "        for d in torch.argsort(self.order).tolist():  # confuses order with positions",
        "sample() visits the variables in argsort(order) (the positions) instead of order: right only for orders that are their own inverse.",
        ["made_sample"],
    ),
    "pixelcnn_type_b_excludes_centre": (
        "autoregressive.py",
        '    mask[k // 2, : k // 2 + (mask_type == "B")] = 1',
        "    mask[k // 2, : k // 2] = 1",
        "The type B mask leaves out the centre, like type A: still causal, but each hidden layer loses its own position.",
        ["pixelcnn_causal"],
    ),
    "pixelcnn_mask_no_left_pixels": (
        "autoregressive.py",
        '    mask[k // 2, : k // 2 + (mask_type == "B")] = 1',
        '    if mask_type == "B":\n        mask[k // 2, k // 2] = 1  # forgot the pixels left of the centre',
        "The masks leave out the pixels left of the centre on the centre row: still causal, but blind to the left.",
        ["pixelcnn_causal"],
    ),
    "pixelcnn_weight_data_no_grad": (
        "autoregressive.py",
        "            x, self.weight * self.mask, self.bias, padding=cast(tuple[int, int], self.padding)",
        "            x, self.weight.data * self.mask, self.bias, padding=cast(tuple[int, int], self.padding)",
        "MaskedConv2d multiplies weight.data by the mask: the convolution weights never get a gradient (only the biases train).",
        ["pixelcnn_log_prob"],
    ),
    "made_bce_on_sigmoid": (
        "autoregressive.py",
        "        logits = self(x)\n        return -F.binary_cross_entropy_with_logits(logits, x, reduction=\"none\").sum(-1)",
        "        p = torch.sigmoid(self(x))\n        return -F.binary_cross_entropy(p, x, reduction=\"none\").sum(-1)",
        "MADE.log_prob takes the binary cross-entropy of sigmoid(logits): log(1 - p) is clamped at -100 once sigmoid rounds to 1 (logit > 37).",
        ["made_log_prob"],
    ),
    "vae_bce_on_sigmoid": (
        "vae.py",
        '        return -F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(-1)',
        '        return -F.binary_cross_entropy(torch.sigmoid(logits), x, reduction="none").sum(-1)',
        "The decoder's log p(x|z) is the binary cross-entropy of sigmoid(logits): wrong (clamped at -100) at saturated logits.",
        ["vae_elbo", "vae_iwae_stable"],
    ),
    "vae_naive_log_sigmoid": (
        "vae.py",
        '        return -F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(-1)',
        "        p = torch.sigmoid(logits)\n        return (x * torch.log(p) + (1 - x) * torch.log(1 - p)).sum(-1)",
        "The decoder's log p(x|z) as x log(sigmoid) + (1 - x) log(1 - sigmoid): -inf or NaN at saturated logits.",
        ["vae_elbo", "vae_iwae_stable"],
    ),
    "iwae_samples_detached": (
        "vae.py",
        "        z = mu + torch.exp(0.5 * logvar) * eps\n        log_q",
        "        with torch.no_grad():  # \"samples don't need gradients\"\n"
        "            z = mu + torch.exp(0.5 * logvar) * eps\n        log_q",
        "log_weights draws z under no_grad: the IWAE bound's value is right, its gradient misses the reparameterisation path.",
        ["vae_iwae"],
    ),
    "actnorm_init_every_batch": (
        "flows.py",
        "        if self.training and not bool(self.initialized):",
        "        if self.training:  # forgot to test self.initialized",
        "ActNorm re-initialises on every training batch: the parameters follow the last batch's statistics instead of training.",
        ["flow_actnorm"],
    ),
    "actnorm_bias_unscaled": (
        "flows.py",
        ACTNORM_INIT_AND_FORWARD,
        "        self.bias.copy_(-mean)  # forgot to scale the bias: should be -mean / std\n"
        "        self.initialized.fill_(1)\n\n"
        "    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:\n"
        "        _, _, h, w = x.shape\n"
        "        if self.training and not bool(self.initialized):\n"
        "            self.initialize(x)\n"
        "            # first batch: return it normalised directly\n"
        "            mean = x.mean(dim=(0, 2, 3), keepdim=True)\n"
        "            std = x.std(dim=(0, 2, 3), keepdim=True, unbiased=False)\n"
        "            y = (x - mean) / (std + 1e-6)\n"
        "        else:\n"
        "            y = x * torch.exp(self.log_scale) + self.bias\n",
        "ActNorm's init forgets to scale the bias (bias = -mean, not -mean / std); the first batch is normalised directly, so only the stored parameters are wrong.",
        ["flow_actnorm"],
    ),
    "actnorm_init_replaces_parameters": (
        "flows.py",
        "        self.log_scale.copy_(-torch.log(std + 1e-6))\n"
        "        self.bias.copy_(-mean * torch.exp(self.log_scale))",
        "        self.log_scale = nn.Parameter(-torch.log(std + 1e-6))  # new Parameters:\n"
        "        self.bias = nn.Parameter(-mean * torch.exp(self.log_scale))  # the optimiser keeps the old",
        "ActNorm's init assigns new nn.Parameters: an optimiser built before the first forward keeps updating the old ones.",
        ["flow_actnorm"],
    ),
    "actnorm_logdet_item_no_grad": (
        "flows.py",
        "        logdet = (h * w * self.log_scale.sum()).expand(x.shape[0])",
        "        logdet = x.new_full((x.shape[0],), h * w * self.log_scale.sum().item())",
        "ActNorm's log-det goes through .item(): right value, but no gradient reaches log_scale through it.",
        ["flow_actnorm", "flow_log_prob"],
    ),
    "coupling_inplace_tanh": (
        "flows.py",
        "        return (1 - m) * torch.tanh(s_raw), (1 - m) * t",
        "        s = torch.tanh(s_raw)\n        s.mul_(1 - m)  # in place, to save memory\n        return s, (1 - m) * t",
        "The coupling masks tanh's output in place: forward is right, backward raises (tanh's gradient needs its output).",
        ["flow_coupling", "flow_log_prob"],
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
