# hostile prior: class definition
# expect: refused at load
# refused: class definitions are not allowed in a prior
class Evil:
    def __del__(self):
        pass

def policy(obs):
    return [0.0] * 3
