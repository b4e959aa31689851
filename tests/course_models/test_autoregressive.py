import itertools

import pytest
import torch

from course_models.autoregressive import MADE, PixelCNN, made_masks, pixelcnn_mask


def _jacobian(f, x):
    return torch.autograd.functional.jacobian(lambda v: f(v[None])[0], x)


def _position(order):
    pos = torch.empty_like(order)
    pos[order] = torch.arange(order.numel())
    return pos


@pytest.mark.parametrize("order", [None, [3, 0, 5, 1, 4, 2, 7, 6]])
def test_made_output_depends_only_on_earlier_inputs(order):
    torch.manual_seed(0)
    made = MADE(8, [32, 32], order=order, seed=1).double()
    pos = _position(made.order)
    allowed = pos[None, :] < pos[:, None]  # [i, j]: input j before output i
    jac = sum(_jacobian(made, torch.rand(8, dtype=torch.float64)).abs() for _ in range(5))
    assert jac[~allowed].abs().max() == 0
    # every allowed connection exists: multiply the masks through
    paths = made.layers[0].mask
    for layer in made.layers[1:]:
        paths = layer.mask @ paths
    assert ((paths > 0) == allowed).all()


def test_made_causal_after_training_steps():
    made = MADE(6, [24], order=[5, 4, 3, 2, 1, 0], seed=0)
    opt = torch.optim.Adam(made.parameters(), lr=1e-2)
    x = (torch.rand(64, 6) < 0.5).float()
    for _ in range(5):
        opt.zero_grad()
        (-made.log_prob(x).mean()).backward()
        opt.step()
    pos = _position(made.order)
    jac = _jacobian(made, torch.rand(6))
    assert jac[~(pos[None, :] < pos[:, None])].abs().max() == 0


def test_made_random_degrees_are_causal_and_order_agnostic_resamples():
    made = MADE(7, [16, 16], random_degrees=True, order_agnostic=True, seed=3)
    for _ in range(3):
        made.resample()
        pos = _position(made.order)
        jac = _jacobian(made, torch.rand(7))
        assert jac[~(pos[None, :] < pos[:, None])].abs().max() == 0


def test_made_log_prob_is_a_normalised_distribution():
    made = MADE(4, [16], order=[2, 0, 3, 1], seed=2).double()
    xs = torch.tensor(list(itertools.product([0.0, 1.0], repeat=4)), dtype=torch.float64)
    assert torch.exp(made.log_prob(xs)).sum().item() == pytest.approx(1.0, abs=1e-12)


def test_made_samples_follow_the_model():
    made = MADE(3, [8], order=[2, 1, 0], seed=4)
    with torch.no_grad():
        for layer in made.layers:
            layer.weight.mul_(4)
    xs = torch.tensor(list(itertools.product([0.0, 1.0], repeat=3)))
    p = torch.exp(made.log_prob(xs)).detach()
    s = made.sample(20000, generator=torch.Generator().manual_seed(0))
    counts = torch.stack([(s == x).all(1).sum() for x in xs]).double()
    expected = 20000 * p.double()
    chi2 = ((counts - expected) ** 2 / expected).sum().item()
    assert chi2 < 30  # 7 dof: P(chi2 > 30) ~ 1e-4


def test_made_masks_output_never_sees_same_input():
    masks = made_masks(torch.arange(5), [10])
    paths = masks[1] @ masks[0]
    assert torch.diagonal(paths).sum() == 0


def test_pixelcnn_masks_centre():
    a, b = pixelcnn_mask(3, "A")[0, 0], pixelcnn_mask(3, "B")[0, 0]
    assert a[1, 1] == 0 and b[1, 1] == 1
    assert a[2].sum() == 0 and a[1, 2] == 0 and a[0].sum() == 3


def test_pixelcnn_receptive_field_is_causal_in_raster_order():
    torch.manual_seed(0)
    net = PixelCNN(channels=8, n_hidden=2, seed=0).double()
    h = w = 6
    f = lambda v: net(v.view(1, 1, h, w)).view(-1)  # noqa: E731
    jac = sum(
        torch.autograd.functional.jacobian(f, torch.rand(h * w, dtype=torch.float64)).abs()
        for _ in range(3)
    )
    idx = torch.arange(h * w)
    future_or_self = idx[None, :] >= idx[:, None]
    assert jac[future_or_self].max() == 0
    # the pixel just left and the pixel just above are seen
    assert jac[7, 6] > 0 and jac[7, 1] > 0


def test_pixelcnn_log_prob_normalised_on_2x2():
    net = PixelCNN(channels=4, n_hidden=1, seed=1).double()
    xs = torch.tensor(list(itertools.product([0.0, 1.0], repeat=4)), dtype=torch.float64).view(
        16, 1, 2, 2
    )
    assert torch.exp(net.log_prob(xs)).sum().item() == pytest.approx(1.0, abs=1e-12)


def test_pixelcnn_sample_shape_and_binary():
    net = PixelCNN(channels=4, n_hidden=1, seed=1)
    s = net.sample(3, 5, 4, generator=torch.Generator().manual_seed(0))
    assert s.shape == (3, 1, 5, 4)
    assert set(s.unique().tolist()) <= {0.0, 1.0}
