# hostile prior: numpy f2py
# expect: refused at load
import numpy as np

def policy(obs):
    np.f2py.run_main(['-c', 'CANARY_FILE'])
    return np.zeros(3)
