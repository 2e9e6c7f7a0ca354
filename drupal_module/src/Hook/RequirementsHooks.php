<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Hook;

use Drupal\Core\Extension\Requirement\RequirementSeverity;
use Drupal\Core\Hook\Attribute\Hook;
use Drupal\Core\Link;
use Drupal\Core\StringTranslation\StringTranslationTrait;
use Drupal\entra_provisioning\Provisioning\RequirementsEvaluator;

/**
 * The status report lines (decided by RequirementsEvaluator).
 *
 * Drupal 11.2+ calls runtimeRequirements(); older versions call
 * entra_provisioning_requirements() in the .install file, which forwards to
 * legacyRequirements().
 */
final class RequirementsHooks {

  use StringTranslationTrait;

  /**
   * Evaluator severity => RequirementSeverity value / legacy REQUIREMENT_* int.
   */
  private const SEVERITY = [
    RequirementsEvaluator::INFO => -1,
    RequirementsEvaluator::OK => 0,
    RequirementsEvaluator::WARNING => 1,
    RequirementsEvaluator::ERROR => 2,
  ];

  public function __construct(
    private RequirementsEvaluator $evaluator
  ) {
  }

  /**
   * Implements hook_runtime_requirements() (Drupal 11.2+).
   *
   * @return array<string, array<string, mixed>>
   */
  #[Hook('runtime_requirements')]
  public function runtimeRequirements(): array {
    return $this->build(TRUE);
  }

  /**
   * For hook_requirements('runtime') on Drupal 10.3 - 11.1 (integer severities).
   *
   * @return array<string, array<string, mixed>>
   */
  public function legacyRequirements(): array {
    return $this->build(FALSE);
  }

  /**
   * @return array<string, array<string, mixed>>
   */
  private function build(bool $enum): array {
    $requirements = [];
    foreach ($this->evaluator->evaluate() as $line) {
      $severity = self::SEVERITY[$line['severity']] ?? 1;
      $requirement = [
        'title' => $line['title'],
        'value' => $line['value'],
        'severity' => $enum ? RequirementSeverity::from($severity) : $severity,
      ];
      $description = $this->description($line['description'], is_array($line['links'] ?? NULL) ? $line['links'] : []);
      if ($description !== []) {
        $requirement['description'] = $description;
      }
      $requirements['entra_provisioning_' . $line['id']] = $requirement;
    }

    return $requirements;
  }

  /**
   * A line's description as a render array: the text (escaped), then its
   * links, e.g. to the empty fields of step 1.
   *
   * The status report template prints the description with
   * {{ requirement.description }}, so a render array is rendered there.
   *
   * @param list<array{label: string, route: string, fragment?: ?string}> $links
   *   From the evaluator; 'label' is English (ConnectionFields titles,
   *   "Step 3"), translated here.
   *
   * @return array<string, mixed>
   */
  private function description(string $text, array $links): array {
    $build = [];
    if ($text !== '') {
      $build['text'] = ['#plain_text' => $text];
    }
    $i = 0;
    foreach ($links as $link) {
      if (!is_array($link) || !isset($link['label'], $link['route'])) {
        continue;
      }
      $fragment = isset($link['fragment']) && $link['fragment'] !== '' ? (string) $link['fragment'] : NULL;
      $rendered = Link::createFromRoute($this->t((string) $link['label']), (string) $link['route'], [], $fragment !== NULL ? ['fragment' => $fragment] : [])->toRenderable();
      $rendered['#prefix'] = $i === 0 ? ($text !== '' ? ' ' : '') : ', ';
      $build['links'][] = $rendered;
      ++$i;
    }

    return $build;
  }

}
