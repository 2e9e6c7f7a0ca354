<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Provisioning;

/**
 * Makes every form error name its field.
 *
 * ConfigFormBase::validateForm() sets the message of a config schema
 * violation on the element mapped to the config key, but the message does
 * not name it ("This value should be of the correct primitive type.").
 * With the errors of a form (FormStateInterface::getErrors(): message keyed
 * by element name, the #parents joined by '][') and the titles of its
 * elements, rewrite() starts each message that does not already contain
 * its element's title with that title; the error stays on its element.
 */
final class FormErrorLabels {

  /**
   * The #title of each element of a built form, keyed by error name.
   *
   * An element keeps the first title found for its name: the outer
   * element is seen before its children, so the options of a radios
   * element (which share its #parents) do not replace its title.
   *
   * @param array<int|string, mixed> $form
   *   The form after building (every element has its #parents).
   *
   * @return array<string, string|\Stringable>
   */
  public static function titles(array $form): array {
    $titles = [];
    self::collect($form, $titles);

    return $titles;
  }

  /**
   * The errors, each starting with its element's title unless it names it.
   *
   * @param array<string, string|\Stringable> $titles
   *   Element name => title, e.g. from titles().
   * @param array<string, string|\Stringable> $errors
   *   Element name => message, as FormStateInterface::getErrors().
   * @param null|callable(string|\Stringable, string|\Stringable): (string|\Stringable) $format
   *   Builds the new message from the title and the message; by default
   *   "Title: message". Drupal passes a t('@title: @message') closure, so
   *   markup in either part stays markup and plain text is escaped.
   *
   * @return array<string, string|\Stringable>
   *   The same keys in the same order. An error on the whole form (name
   *   '') and an error whose element (or parent element) has no title
   *   are kept as they are. An element without a title of its own takes
   *   that of its closest parent (e.g. "table][row][cell").
   */
  public static function rewrite(array $titles, array $errors, ?callable $format = NULL): array {
    $format ??= static fn ($title, $message): string => (string) $title . ': ' . (string) $message;
    $rewritten = [];
    foreach ($errors as $name => $message) {
      $name = (string) $name;
      $title = self::titleOf($titles, $name);
      if ($title === NULL || self::contains($message, $title)) {
        $rewritten[$name] = $message;
        continue;
      }
      $rewritten[$name] = $format($title, $message);
    }

    return $rewritten;
  }

  /**
   * @param array<int|string, mixed> $element
   * @param array<string, string|\Stringable> $titles
   */
  private static function collect(array $element, array &$titles): void {
    if (isset($element['#title'], $element['#parents']) && is_array($element['#parents']) && (is_string($element['#title']) || $element['#title'] instanceof \Stringable)) {
      $name = implode('][', $element['#parents']);
      if ($name !== '' && !isset($titles[$name])) {
        $titles[$name] = $element['#title'];
      }
    }
    foreach ($element as $key => $child) {
      // Element::children(): keys that do not start with '#'.
      if (is_array($child) && !(is_string($key) && str_starts_with($key, '#'))) {
        self::collect($child, $titles);
      }
    }
  }

  /**
   * @param array<string, string|\Stringable> $titles
   */
  private static function titleOf(array $titles, string $name): string|\Stringable|null {
    $parents = $name === '' ? [] : explode('][', $name);
    while ($parents !== []) {
      $title = $titles[implode('][', $parents)] ?? NULL;
      if ($title !== NULL && self::plain($title) !== '') {
        return $title;
      }
      array_pop($parents);
    }

    return NULL;
  }

  private static function contains(string|\Stringable $message, string|\Stringable $title): bool {
    return mb_stripos(self::plain($message), self::plain($title)) !== FALSE;
  }

  /**
   * The visible text of a message or title: tags dropped, entities decoded.
   */
  private static function plain(string|\Stringable $text): string {
    return trim(html_entity_decode(strip_tags((string) $text), ENT_QUOTES | ENT_HTML5, 'UTF-8'));
  }

}
