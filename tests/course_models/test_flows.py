import pytest
import torch

from course_models.flows import ActNorm, AffineCoupling, Flow, InvConv1x1, coupling_mask, realnvp

SHAPE = (2, 4, 4)


def _perturb(module, seed, scale=0.3):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.add_(scale * torch.randn(p.shape, generator=g, dtype=p.dtype))
    return module


def _jacobian_logdets(layer, x):
    out = []
    for xi in x:
        shape = xi.shape
        j = torch.autograd.functional.jacobian(
            lambda v, shape=shape: layer(v.view(1, *shape))[0].view(-1), xi.reshape(-1)
        )
        out.append(torch.linalg.slogdet(j)[1])
    return torch.stack(out)


def _negative_det_weight(c, seed):
    g = torch.Generator().manual_seed(seed)
    w = torch.eye(c, dtype=torch.float64) + 0.4 * torch.randn(
        c, c, generator=g, dtype=torch.float64
    )
    if torch.linalg.det(w) > 0:
        w[0] = -w[0]
    return w


@pytest.mark.parametrize(
    "make",
    [
        lambda: AffineCoupling(2, 8, "checkerboard", 0),
        lambda: AffineCoupling(2, 8, "checkerboard", 1),
        lambda: AffineCoupling(2, 8, "channel", 1),
        lambda: ActNorm(2),
        lambda: InvConv1x1(2, seed=0),
        lambda: realnvp(*SHAPE, hidden=8),
    ],
)
def test_inverse_and_per_sample_logdet(make):
    layer = _perturb(make().double(), seed=0)
    if isinstance(layer, Flow):
        for sub in layer.layers:
            if isinstance(sub, InvConv1x1):
                sub.weight.data.copy_(_negative_det_weight(2, 1))
    layer.eval()
    x = (
        torch.randn(3, *SHAPE, dtype=torch.float64)
        * torch.tensor([1.0, 2.0, 0.5], dtype=torch.float64)[:, None, None, None]
    )
    y, logdet = layer(x)
    assert logdet.shape == (3,)
    torch.testing.assert_close(layer.inverse(y), x, atol=1e-10, rtol=1e-10)
    torch.testing.assert_close(logdet, _jacobian_logdets(layer, x), atol=1e-8, rtol=1e-8)


def test_invconv_negative_determinant_non_orthogonal():
    conv = InvConv1x1(3).double()
    conv.weight.data.copy_(_negative_det_weight(3, 5))
    assert torch.linalg.det(conv.weight) < 0
    x = torch.randn(2, 3, 4, 5, dtype=torch.float64)
    y, logdet = conv(x)
    assert torch.isfinite(logdet).all()
    torch.testing.assert_close(logdet, _jacobian_logdets(conv, x))
    assert abs(logdet[0].item()) > 1e-3  # not the blind rotation point
    torch.testing.assert_close(conv.inverse(y), x)


def test_actnorm_data_dependent_init():
    an = ActNorm(3)
    x = (
        torch.randn(64, 3, 4, 4) * torch.tensor([2.0, 0.5, 3.0])[:, None, None]
        + torch.tensor([1.0, -2.0, 0.0])[:, None, None]
    )
    y, _ = an(x)
    torch.testing.assert_close(y.mean(dim=(0, 2, 3)), torch.zeros(3), atol=1e-5, rtol=0)
    torch.testing.assert_close(
        y.std(dim=(0, 2, 3), unbiased=False), torch.ones(3), atol=1e-4, rtol=0
    )
    before = an.log_scale.detach().clone()
    an(x * 5)
    assert torch.equal(an.log_scale, before)


def test_coupling_masks():
    m = coupling_mask("checkerboard", 0, 1, 2, 2)
    assert m.view(-1).tolist() == [1, 0, 0, 1]
    m = coupling_mask("channel", 1, 4, 1, 1)
    assert m.view(-1).tolist() == [0, 0, 1, 1]


def test_identity_flow_log_prob_is_base_density():
    flow = Flow([AffineCoupling(2, 4)], SHAPE).double()  # zero-initialised: the identity
    x = torch.randn(4, *SHAPE, dtype=torch.float64)
    expected = torch.distributions.Normal(0.0, 1.0).log_prob(x).flatten(1).sum(1)
    torch.testing.assert_close(flow.log_prob(x), expected)


def test_sample_is_inverse_of_seeded_base_draw():
    flow = _perturb(realnvp(*SHAPE, hidden=4), seed=3).eval()
    s = flow.sample(5, torch.Generator().manual_seed(7))
    z = torch.randn((5, *SHAPE), generator=torch.Generator().manual_seed(7))
    torch.testing.assert_close(flow(s)[0], z, atol=1e-4, rtol=1e-4)
