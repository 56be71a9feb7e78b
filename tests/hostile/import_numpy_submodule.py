# hostile prior: import numpy submodule
# expect: refused at load
from numpy.lib.stride_tricks import as_strided

def policy(obs):
    return as_strided(obs, shape=(3,), strides=(0,))
