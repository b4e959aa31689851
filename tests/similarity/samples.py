"""Small homework sources for the similarity tests: a starter file, two solutions that share
nothing but the starter, and a copy of the first with identifiers renamed and comments changed."""

import re

STARTER = '''"""Homework: GAN losses and a gradient penalty. Fill in every TODO."""

import torch
from torch import nn
import torch.nn.functional as F


class Generator(nn.Module):
    """Maps (N, latent_dim) to (N, 1, 28, 28) images in [-1, 1]."""

    def __init__(self, latent_dim: int = 64) -> None:
        super().__init__()
        # TODO

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError


def generator_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """Non-saturating generator loss, averaged over the batch."""
    raise NotImplementedError  # TODO


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """Standard discriminator loss, each term averaged over its own batch."""
    raise NotImplementedError  # TODO


def gradient_penalty(critic, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """WGAN-GP penalty on random interpolates of real and fake images."""
    raise NotImplementedError  # TODO
'''

SOLUTION_A = (
    STARTER.replace(
        """        super().__init__()
        # TODO

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError""",
        """        super().__init__()
        self.fc = nn.Linear(latent_dim, 128 * 7 * 7)
        self.up = nn.Sequential(
            nn.ConvTranspose2d(128, 64, 4, stride=2, padding=1),
            nn.BatchNorm2d(64),
            nn.ReLU(),
            nn.ConvTranspose2d(64, 1, 4, stride=2, padding=1),
            nn.Tanh(),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        hidden = self.fc(z).view(-1, 128, 7, 7)
        return self.up(F.relu(hidden))""",
    )
    .replace(
        '''    """Non-saturating generator loss, averaged over the batch."""
    raise NotImplementedError  # TODO''',
        '''    """Non-saturating generator loss, averaged over the batch."""
    # -log(sigmoid(x)) == softplus(-x), stable for large logits
    return F.softplus(-fake_logits).mean()''',
    )
    .replace(
        '''    """Standard discriminator loss, each term averaged over its own batch."""
    raise NotImplementedError  # TODO''',
        '''    """Standard discriminator loss, each term averaged over its own batch."""
    real_term = F.softplus(-real_logits).mean()
    fake_term = F.softplus(fake_logits).mean()
    return real_term + fake_term''',
    )
    .replace(
        '''    """WGAN-GP penalty on random interpolates of real and fake images."""
    raise NotImplementedError  # TODO''',
        '''    """WGAN-GP penalty on random interpolates of real and fake images."""
    eps = torch.rand(real.size(0), 1, 1, 1, device=real.device)
    mixed = (eps * real + (1 - eps) * fake).requires_grad_(True)
    scores = critic(mixed)
    grads = torch.autograd.grad(scores.sum(), mixed, create_graph=True)[0]
    norms = grads.flatten(1).norm(2, dim=1)
    return ((norms - 1.0) ** 2).mean()''',
    )
)

# A copy of A: every identifier renamed, numbers changed, comments rewritten, re-indented.
RENAMES = {
    "hidden": "h",
    "real_term": "loss_real",
    "fake_term": "loss_fake",
    "eps": "alpha",
    "mixed": "interp",
    "scores": "out",
    "grads": "g",
    "norms": "gn",
    "fc": "proj",
    "up": "deconv",
}
SOLUTION_A_COPY = SOLUTION_A
for old, new in RENAMES.items():
    SOLUTION_A_COPY = re.sub(rf"\b{old}\b", new, SOLUTION_A_COPY)
SOLUTION_A_COPY = SOLUTION_A_COPY.replace(
    "# -log(sigmoid(x)) == softplus(-x), stable for large logits", "# my own derivation"
)
SOLUTION_A_COPY = SOLUTION_A_COPY.replace("128", "256").replace("    ", "  ")

SOLUTION_B = (
    STARTER.replace(
        """        super().__init__()
        # TODO

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError""",
        """        super().__init__()
        layers = []
        width = latent_dim
        for out_features in (256, 512, 784):
            layers += [nn.Linear(width, out_features), nn.LeakyReLU(0.2)]
            width = out_features
        layers[-1] = nn.Tanh()
        self.body = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.body(z).reshape(z.shape[0], 1, 28, 28)""",
    )
    .replace(
        '''    """Non-saturating generator loss, averaged over the batch."""
    raise NotImplementedError  # TODO''',
        '''    """Non-saturating generator loss, averaged over the batch."""
    target = torch.ones_like(fake_logits)
    return F.binary_cross_entropy_with_logits(fake_logits, target)''',
    )
    .replace(
        '''    """Standard discriminator loss, each term averaged over its own batch."""
    raise NotImplementedError  # TODO''',
        '''    """Standard discriminator loss, each term averaged over its own batch."""
    ones, zeros = torch.ones_like(real_logits), torch.zeros_like(fake_logits)
    return F.binary_cross_entropy_with_logits(real_logits, ones) + F.binary_cross_entropy_with_logits(fake_logits, zeros)''',
    )
    .replace(
        '''    """WGAN-GP penalty on random interpolates of real and fake images."""
    raise NotImplementedError  # TODO''',
        '''    """WGAN-GP penalty on random interpolates of real and fake images."""
    batch = real.shape[0]
    t = torch.rand(batch, device=real.device).view(batch, 1, 1, 1)
    between = torch.lerp(fake.detach(), real.detach(), t)
    between.requires_grad = True
    (gradient,) = torch.autograd.grad(critic(between).sum(), between, create_graph=True)
    return (gradient.reshape(batch, -1).norm(dim=1).sub(1).pow(2)).mean()''',
    )
)
