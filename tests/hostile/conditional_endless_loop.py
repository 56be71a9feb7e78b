# hostile prior: conditional endless loop
# expect: loads; every call on the trigger observation fails, contained
# trigger: 10000000.0
# raises: BudgetExceeded: loop iterations/function calls
import numpy as np

def policy(obs):
    while obs[0] > 1e6:
        pass
    return np.tanh(obs[:3])
