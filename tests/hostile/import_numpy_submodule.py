# hostile prior: import numpy submodule
# expect: refused at load
# refused: import from 'numpy.lib.stride_tricks' is not allowed (only math and numpy)
from numpy.lib.stride_tricks import as_strided

def policy(obs):
    return as_strided(obs, shape=(3,), strides=(0,))
