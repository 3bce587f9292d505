#include "cokka/message.hpp"

namespace cokka {

const std::string& Message::type_name() const noexcept {
  static const std::string void_name = "void";
  return vtable_ ? vtable_->name() : void_name;
}

void Message::throw_bad_type(const std::string& wanted) const {
  throw BadMessageType("cokka::Message holds a " + type_name() + ", not a " + wanted +
                       " (check with is<T>() or get_if<T>() first)");
}

}  // namespace cokka
