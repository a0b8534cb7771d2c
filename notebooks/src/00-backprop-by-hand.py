# %% [markdown]
# # Backpropagation by hand: a 2-2-1 network, number for number
#
# Before any library, the course worked one small network through on paper.
# This notebook does the same in NumPy, then asks mlpkit for the same numbers
# two ways: its backpropagated gradients, and `mlpkit.gradcheck`'s finite
# differences. Everything is float64, so the hand-made gradients and mlpkit's
# must agree to about 1e-16; the notebook checks them to 1e-10.
#
# **The network.** Two inputs, two sigmoid hidden units, one sigmoid output;
# the four points of XOR; mean squared error over the batch of $n = 4$:
#
# $$h = \sigma(X W_1 + b_1), \qquad \hat y = \sigma(h W_2 + b_2), \qquad
#   L = \frac{1}{n} \sum_{i=1}^{n} (\hat y_i - t_i)^2, \qquad \sigma(z) = \frac{1}{1 + e^{-z}}.$$
#
# $X$ is $n \times 2$, $W_1$ is $2 \times 2$, $W_2$ is $2 \times 1$: one row per
# sample, as mlpkit stores them.

# %%
import inspect
import os

import numpy as np

import mlpkit as mk

QUICK = os.environ.get("MLPKIT_QUICK") == "1"  # nothing here is slow: the same either way
np.set_printoptions(precision=6, suppress=True)

X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
t = np.array([[0.0], [1.0], [1.0], [0.0]])
W1 = np.array([[0.5, -0.4], [0.3, 0.8]])
b1 = np.array([0.1, -0.2])
W2 = np.array([[0.7], [-0.6]])
b2 = np.array([0.05])


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


# %% [markdown]
# ## Forward pass

# %%
z1 = X @ W1 + b1
h = sigmoid(z1)
z2 = h @ W2 + b2
y_hat = sigmoid(z2)
n = len(X)
L = np.sum((y_hat - t) ** 2) / n
print("hidden activations h:\n", h)
print("outputs y_hat:", y_hat.ravel())
print("loss L =", L)

# %% [markdown]
# ## Backward pass: the delta rule
#
# The chain rule, one layer at a time, from the loss back to the inputs.
# Each layer's *delta* is the gradient of $L$ with respect to its
# pre-activation $z$; with $\sigma'(z) = \sigma(z)(1 - \sigma(z))$:
#
# $$\delta_2 = \frac{2}{n}(\hat y - t) \odot \hat y \odot (1 - \hat y), \qquad
#   \frac{\partial L}{\partial W_2} = h^\top \delta_2, \qquad
#   \frac{\partial L}{\partial b_2} = \textstyle\sum_i \delta_{2,i}$$
#
# $$\delta_1 = (\delta_2 W_2^\top) \odot h \odot (1 - h), \qquad
#   \frac{\partial L}{\partial W_1} = X^\top \delta_1, \qquad
#   \frac{\partial L}{\partial b_1} = \textstyle\sum_i \delta_{1,i}$$
#
# The error travels back through the same weights that carried the signal
# forward ($W_2^\top$), scaled at each unit by the slope of its activation.

# %%
delta2 = 2 / n * (y_hat - t) * y_hat * (1 - y_hat)
by_hand = {
    "2.W": h.T @ delta2,
    "2.b": delta2.sum(axis=0),
}
delta1 = (delta2 @ W2.T) * h * (1 - h)
by_hand["0.W"] = X.T @ delta1
by_hand["0.b"] = delta1.sum(axis=0)
for key, value in by_hand.items():
    print(key, value.ravel())

# %% [markdown]
# ## The same network in mlpkit
#
# `Dense` layers hold `W` (inputs x units) and `b`; the sigmoid is a layer of
# its own. The keys `"0.W"`, `"2.W"` name parameters by layer index.
# `set_weights` puts the hand-chosen numbers in.

# %%
net = mk.Network(
    [mk.Dense(2), mk.Sigmoid(), mk.Dense(1), mk.Sigmoid()],
    input_shape=(2,),
    task="regression",
    dtype="float64",
)
net.set_weights({"0.W": W1, "0.b": b1, "2.W": W2, "2.b": b2})
net

# %% [markdown]
# These are the lines of mlpkit that compute the backward pass of a dense
# layer and of a sigmoid: the two formulas above, in code.

# %%
print(inspect.getsource(mk.Dense.backward))
print(inspect.getsource(mk.Sigmoid.backward))

# %% [markdown]
# ## mlpkit's gradients against the hand-made ones
#
# One forward and backward pass over the batch fills every layer's `grads`.

# %%
loss = mk.losses.MSE()
value, outputs = net.loss_and_gradients(X, t, loss)
print("mlpkit's loss:", value, " by hand:", L)
print("outputs equal to 1e-15:", np.allclose(outputs, y_hat, rtol=0, atol=1e-15))
differences = {}
for key, _, grad in net.parameters():
    differences[key] = np.max(np.abs(grad - by_hand[key]))
    print(f"{key}: mlpkit {grad.ravel()}  largest difference {differences[key]:.1e}")
assert abs(value - L) < 1e-10
assert max(differences.values()) < 1e-10, differences

# %% [markdown]
# ## And against finite differences
#
# `mlpkit.gradcheck` nudges every weight by $\pm h$ and $\pm 2h$ and compares
# the change of the loss with the backpropagated gradient (relative error).
# A correct float64 implementation lands near 1e-10 or below.

# %%
errors = mk.gradcheck(net, X, t, loss="mse")
for key, error in errors.items():
    print(f"{key}: relative error {error:.1e}")
assert max(errors.values()) < 1e-7

# %% [markdown]
# ## One step of gradient descent
#
# With the gradients in hand a step is $W \leftarrow W - \eta\, \partial L / \partial W$.
# mlpkit's `SGD` does exactly that; the loss goes down.

# %%
eta = 0.5
net.loss_and_gradients(X, t, loss)  # gradcheck left the last nudge's gradients behind
stepped = {key: value - eta * by_hand[key] for key, value in net.get_weights().items()}
mk.SGD(eta).step(net.parameters())
after = net.get_weights()
print(
    "weights after mlpkit's step equal the hand step:",
    all(np.allclose(after[k], stepped[k], rtol=0, atol=1e-15) for k in after),
)
print("loss before", L, "after", net.loss_and_gradients(X, t, loss)[0])
