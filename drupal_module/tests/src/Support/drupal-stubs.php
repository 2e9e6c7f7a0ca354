<?php

/**
 * @file
 * Minimal stand-ins of the Drupal core classes the module's hook classes
 * use, for tests on a machine without Drupal. Each keeps what it is given,
 * as the real one does before rendering (checked against drupal/core 10.3.x
 * 88ada439b8b2a85521be2225f13e4b3295075a89 and 11.x
 * 401b0999cdb9e2ee91b7ec0c73acb254ad184c1f): Url::fromRoute() and
 * Link::createFromRoute()/toRenderable() (lib/Drupal/Core/Url.php,
 * Link.php; toString() here renders a path-less "route:name#fragment"),
 * RouteMatchInterface::getRouteName() (lib/Drupal/Core/Routing), t() of
 * StringTranslationTrait (placeholders replaced, no escaping or
 * translation), the RequirementSeverity enum of 11.2, and
 * Drupal\Component\Datetime\TimeInterface (the module's clock; its four
 * methods declare no return types in core, only "@return int|float"). Defined
 * only when the real ones are absent. tests/bootstrap.php loads this file.
 */

declare(strict_types=1);

namespace Drupal\Core {

    if (!class_exists(Url::class)) {
        class Url
        {
            /**
             * @param array<string, mixed> $routeParameters
             * @param array<string, mixed> $options
             */
            public function __construct(public string $routeName, public array $routeParameters = [], public array $options = [])
            {
            }

            /**
             * @param array<string, mixed> $route_parameters
             * @param array<string, mixed> $options
             */
            public static function fromRoute(string $route_name, array $route_parameters = [], array $options = []): static
            {
                return new static($route_name, $route_parameters, $options);
            }

            public function toString(): string
            {
                $fragment = (string) ($this->options['fragment'] ?? '');

                return 'route:' . $this->routeName . ($fragment !== '' ? '#' . $fragment : '');
            }
        }
    }

    if (!class_exists(Link::class)) {
        class Link
        {
            public function __construct(public mixed $text, public Url $url)
            {
            }

            /**
             * @param array<string, mixed> $route_parameters
             * @param array<string, mixed> $options
             */
            public static function createFromRoute(mixed $text, string $route_name, array $route_parameters = [], array $options = []): static
            {
                return new static($text, new Url($route_name, $route_parameters, $options));
            }

            /**
             * @return array<string, mixed>
             */
            public function toRenderable(): array
            {
                return ['#type' => 'link', '#url' => $this->url, '#title' => $this->text];
            }
        }
    }
}

namespace Drupal\Component\Datetime {

    if (!interface_exists(TimeInterface::class)) {
        interface TimeInterface
        {
            /**
             * @return int
             */
            public function getRequestTime();

            /**
             * @return float
             */
            public function getRequestMicroTime();

            /**
             * @return int
             */
            public function getCurrentTime();

            /**
             * @return float
             */
            public function getCurrentMicroTime();
        }
    }
}

namespace Drupal\Core\Routing {

    if (!interface_exists(RouteMatchInterface::class)) {
        interface RouteMatchInterface
        {
            /**
             * @return string|null
             */
            public function getRouteName();
        }
    }
}

namespace Drupal\Core\StringTranslation {

    if (!trait_exists(StringTranslationTrait::class)) {
        trait StringTranslationTrait
        {
            /**
             * @param array<string, mixed> $args
             */
            protected function t(string $string, array $args = []): string
            {
                return strtr($string, $args);
            }
        }
    }
}

namespace Drupal\Core\Extension\Requirement {

    if (!enum_exists(RequirementSeverity::class)) {
        enum RequirementSeverity: int
        {
            case Info = -1;
            case OK = 0;
            case Warning = 1;
            case Error = 2;
        }
    }
}
