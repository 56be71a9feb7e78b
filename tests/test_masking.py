"""The masking math (bounds, epsilon-masking, action mapping) on NumPy arrays and torch tensors."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from camel_gym.masking import (
    action_mapping,
    check_bias,
    full_bounds,
    map_into_bounds,
    mask_limits,
    mask_probability,
    mask_reach,
    prior_bounds,
    prior_bounds_within,
)


def test_bounds_by_hand_on_an_asymmetric_space():
    low, high = np.array([-2.0, 0.0]), np.array([2.0, 1.0])
    bounds = prior_bounds(np.array([0.5, 0.95]), low, high, bias=0.3)
    # half-ranges 2 and 0.5, so the mask reaches 0.6 and 0.15 around the prior
    np.testing.assert_allclose(bounds, [[-0.1, 0.8], [1.1, 1.0]])


def test_prior_outside_the_space_is_clipped_first():
    bounds = prior_bounds(np.array([5.0, -5.0]), -np.ones(2), np.ones(2), bias=0.3)
    np.testing.assert_allclose(bounds, [[0.7, -1.0], [1.0, -0.7]])


def test_per_dimension_bias_and_dtype_are_kept():
    bounds = prior_bounds(np.zeros(2, np.float32), -np.ones(2, np.float32), np.ones(2, np.float32), np.float32([0.1, 1.0]))
    assert bounds.dtype == np.float32
    np.testing.assert_allclose(bounds, [[-0.1, -1.0], [0.1, 1.0]])


finite = st.floats(-1e3, 1e3, allow_nan=False, width=64)


@settings(max_examples=200, deadline=None)
@given(
    low=arrays(np.float64, 4, elements=finite),
    width=arrays(np.float64, 4, elements=st.floats(1e-3, 1e3)),
    prior=arrays(np.float64, 4, elements=st.floats(-1e4, 1e4)),
    bias=st.floats(1e-3, 1.0),
)
def test_bounds_properties(low, width, prior, bias):
    high = low + width
    lower, upper = prior_bounds(prior, low, high, bias)
    p = np.clip(prior, low, high)
    tol = 1e-9 * (1 + np.abs(high))
    assert np.all(low <= lower) and np.all(upper <= high)
    assert np.all(lower <= p + tol) and np.all(p <= upper + tol)
    assert np.all(upper - lower <= bias * width + tol)
    # the mask is exactly bias * half-range on each side unless the space cuts it
    np.testing.assert_allclose(lower, np.maximum(p - bias * width / 2, low))
    np.testing.assert_allclose(upper, np.minimum(p + bias * width / 2, high))


@settings(max_examples=300, deadline=None)
@given(
    low=arrays(np.float64, 4, elements=finite),
    width=arrays(np.float64, 4, elements=st.floats(1e-3, 1e3)),
    prior=arrays(np.float64, 4, elements=st.floats(-1e4, 1e4)),
    bias=st.floats(1e-3, 1.0),
    dtype=st.sampled_from([np.float32, np.float64]),
)
def test_prior_bounds_within_mask_limits_is_prior_bounds_bit_for_bit(low, width, prior, bias, dtype):
    # the wrappers' three-ufunc form of prior_bounds, for priors inside and far outside the space
    low, high, prior = low.astype(dtype), (low + width).astype(dtype), prior.astype(dtype)
    high = np.maximum(high, low)  # float32 rounding may have closed a tiny width
    reach = mask_reach(low, high, np.asarray(bias, dtype))
    fast = prior_bounds_within(prior, mask_limits(low, high, reach))
    assert fast.dtype == dtype
    np.testing.assert_array_equal(fast, prior_bounds(prior, low, high, reach=reach))
    # a batch of priors, and a space of matrix-shaped actions, keep prior_bounds' layout
    batch = np.stack([prior, prior[::-1]])
    np.testing.assert_array_equal(prior_bounds_within(batch, mask_limits(low, high, reach)), prior_bounds(batch, low, high, reach=reach))
    low2, high2, prior2 = low.reshape(2, 2), high.reshape(2, 2), prior.reshape(2, 2)
    reach2 = mask_reach(low2, high2, np.asarray(bias, dtype))
    np.testing.assert_array_equal(
        prior_bounds_within(prior2, mask_limits(low2, high2, reach2)), prior_bounds(prior2, low2, high2, reach=reach2)
    )


def test_batched_shapes():
    rng = np.random.default_rng(0)
    prior = rng.uniform(-2, 2, size=(5, 4, 3))
    bounds = prior_bounds(prior, -np.ones(3), np.ones(3), 0.3)
    assert bounds.shape == (5, 4, 2, 3)
    np.testing.assert_allclose(bounds[2, 1], prior_bounds(prior[2, 1], -np.ones(3), np.ones(3), 0.3))
    x = rng.uniform(-1, 1, size=(5, 4, 3))
    assert action_mapping(x, bounds).shape == (5, 4, 3)
    assert full_bounds(-np.ones(3), np.ones(3), (5,)).shape == (5, 2, 3)


def test_mapping_endpoints_and_middle():
    bounds = np.array([[-0.5, 0.0], [0.5, 0.4]])
    np.testing.assert_allclose(action_mapping(np.array([-1.0, -1.0]), bounds), [-0.5, 0.0])
    np.testing.assert_allclose(action_mapping(np.array([1.0, 1.0]), bounds), [0.5, 0.4])
    np.testing.assert_allclose(action_mapping(np.array([0.0, 0.0]), bounds), [0.0, 0.2])


@settings(max_examples=200, deadline=None)
@given(
    prior=arrays(np.float32, (3, 4), elements=st.floats(-2, 2, width=32)),
    x=arrays(np.float32, (3, 4), elements=st.floats(-1e6, 1e6, width=32)),
    bias=st.floats(1e-3, 1.0),
)
def test_map_into_bounds_never_leaves_the_bounds_and_maps_as_action_mapping(prior, x, bias):
    bounds = prior_bounds(prior, -np.ones(4, np.float32), np.ones(4, np.float32), np.float32(bias))
    action = map_into_bounds(x, bounds)
    assert action.dtype == np.float32 and action.shape == x.shape
    assert np.all(bounds[:, 0] <= action) and np.all(action <= bounds[:, 1])
    np.testing.assert_allclose(action, action_mapping(np.clip(x, -1, 1), bounds), atol=1e-6)


def test_torch_matches_numpy_and_gradients_flow():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    prior = rng.uniform(-1.5, 1.5, size=(8, 3)).astype(np.float32)
    low, high = -np.ones(3, np.float32), np.ones(3, np.float32)
    expected = prior_bounds(prior, low, high, 0.3)
    got = prior_bounds(torch.from_numpy(prior), low, high, 0.3)
    assert isinstance(got, torch.Tensor) and got.shape == (8, 2, 3)
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-6, atol=1e-7)
    x = torch.zeros(8, 3, requires_grad=True)
    action_mapping(torch.tanh(x), got).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), (expected[:, 1] - expected[:, 0]) / 2, rtol=1e-6)
    assert full_bounds(torch.from_numpy(low), torch.from_numpy(high), (4,)).shape == (4, 2, 3)


def test_epsilon_schedule():
    assert mask_probability(0, 0.2, 1000) == 1.0
    assert mask_probability(100, 0.2, 1000) == pytest.approx(0.5)
    assert mask_probability(200, 0.2, 1000) == 0.0
    assert mask_probability(10**6, 0.2, 1000) == 0.0
    assert mask_probability(0, 0.0, 1000) == 0.0


@pytest.mark.parametrize("bias", [0.0, -0.1, 1.5, float("nan"), [0.3, 0.3]])
def test_bad_bias_is_refused_with_a_hint(bias):
    hint = r"bias must be a scalar or an array of shape \(3,\), got shape \(2,\)" if isinstance(bias, list) else (
        r"bias must lie in \(0, 1\] \(a fraction of each action dimension's half-range; the paper uses 0\.3\), got "
    )
    with pytest.raises(ValueError, match=hint):
        check_bias(bias, 3)
