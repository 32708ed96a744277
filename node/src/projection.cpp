// Chooses the projector a node uses for its subjects.
#include "motcua/node/journal.hpp"

namespace motcua::node {

SubjectProjector default_projector() { return summary_projector; }

}  // namespace motcua::node
