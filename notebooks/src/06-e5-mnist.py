# mlpkit-notebook: needs MLPKIT_DATA
# %% [markdown]
# # E5: MNIST with sigmoid units, squared error and mini-batches
#
# The course's fifth experiment: all 70,000 MNIST digits, pixels scaled to
# [-1, 1], split (stratified) into 55,000 to train on, 5000 to validate and
# 10,000 to test. A 784 - 50 - 10 network of sigmoid units, weights drawn from
# a normal of standard deviation 0.1, squared error; mini-batches of 100,
# reshuffled every epoch, learning rate 0.1, 50 epochs. The course reports
# train 76.15% and valid 75.98% after the first epoch, train 95.61% and valid
# 94.78% after the fiftieth, **94.54%** test, and curves of the loss and the
# accuracy per epoch.

# %%
import inspect
import os
import tempfile
from pathlib import Path

import matplotlib
from results_table import compare

import mlpkit as mk
from mlpkit import plots, recipes, runs, training
from mlpkit.recipes.build import prepare_data

QUICK = os.environ.get("MLPKIT_QUICK") == "1"  # quick: 2 epochs on 10,000 digits
matplotlib.rcParams["figure.dpi"] = 72  # modest PNGs: the notebooks are stored with them
RUNS = Path(tempfile.mkdtemp())
config = recipes.apply_overrides(
    recipes.load_recipe("e5-mnist"), ["train.epochs=2", "data.train_subset=10000"] if QUICK else []
)
data = prepare_data(config)
print(config["description"])
print("train", data.X_train.shape, " valid", data.X_valid.shape, " test", data.X_test.shape)

# %%
plots.image_grid(data.raw_train, data.y_train, image_shape=(28, 28), n=36)

# %% [markdown]
# ## Mini-batch stochastic gradient descent
#
# The gradients are those of E1 with sigmoids in place of tanh
# ($\sigma' = \sigma(1 - \sigma)$): $\delta_2 = \frac{2}{m}(Y - D) \odot Y \odot (1 - Y)$
# over a batch of $m = 100$ rows, $\delta_1 = (\delta_2 W_2^\top) \odot H \odot (1 - H)$.
# What changes is the step: one per batch, 550 per epoch, each on a different
# hundred digits, in a new order every epoch. mlpkit's training loop:

# %%
print(inspect.getsource(mk.Sigmoid.backward))
print(inspect.getsource(training._Trainer.run_epoch))

# %% [markdown]
# ## Training

# %%
result = runs.run(config, RUNS / "e5-mnist", quiet=True, callbacks=[mk.LivePlot(every=5)])
network = mk.load(RUNS / "e5-mnist" / "model.npz")
history = result.history
for epoch in sorted({1, len(history.epochs)}):
    print(
        f"after epoch {epoch}: train {100 * history.accuracy[epoch - 1]:.2f}%  "
        f"valid {100 * history.val_accuracy[epoch - 1]:.2f}%"
    )
print(f"test {100 * result.metrics['test']['accuracy']:.2f}%")

# %% [markdown]
# The training accuracy of each epoch is measured on the batches as they go
# (the weights move during the epoch), as the course's loop measured it.

# %%
history.plot()

# %%
m = result.metrics
plots.confusion_matrix(m["confusion_matrix"], classes=m["classes"]).figure

# %%
plots.misclassified(
    network, data.X_test, data.y_test, images=data.raw_test, image_shape=(28, 28), n=18
)

# %% [markdown]
# ## The classic's figure beside mlpkit's

# %%
compare("e5-mnist", 100 * result.metrics["test"]["accuracy"], QUICK)
